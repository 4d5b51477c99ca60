"""How fast `gradcheck batch` grades: submissions per second with 1 and 2 jobs.

Run from the repository root: ``python benchmarks/batch_speed.py [--count 200] [--jobs 1 2]``.
Generates ``--count`` submissions of sheet01 in a temporary folder (GitHub Classroom layout,
a folder per student): mostly the reference solution, every seventh one of the typical wrong
answers in ``tests/submissions/``, one with a syntax error; every file is different (a
comment with the student's number).

``--mix class`` generates a class as it really is instead (40 by default): 40% fully correct
(a quarter of them computed in float32), 40% with a typical mistake (a transposed Jacobian, a
sign and a factor 2, a dropped chain-rule factor, a node backward with swapped inputs, one
that ignores its upstream gradient), 10% numerical "derivatives" (difference quotients), 10%
broken (a syntax error, an exception, a function that never returns, a missing import). It
also prints the grading CPU one submission of each kind costs in a grading process that has
already graded the others (as in a batch), beside a correct one.

Then, for each ``--jobs`` value, grades them all from scratch (``fresh``) and prints:

- end to end: wall time of the whole batch (starting the grading processes and their
  sandboxes, discovery, hashing, grading, journal, gradebook), submissions per second;
- steady: submissions per second between the first and the last finished submission;
- per submission: the median time one grade takes inside its grading process;
- CPU per submission: CPU time the whole machine spent during the batch (``/proc/stat``:
  coordinator, grading processes, zygotes, workers, kernel; and anything else running)
  divided by the count. With 2 CPUs, 2 s / rate is the most there is.

With one job per CPU each grading process (and its workers) keeps to a CPU of its own, as in
``gradcheck batch``; ``--pin off`` measures without, ``--pin on`` pins fewer jobs too.

Every submission is still graded in its own worker process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradcheck.cli.common import grading_process_setup  # noqa: E402

grading_process_setup()   # as `gradcheck batch` does before numpy is imported

from gradcheck.batch import run_batch  # noqa: E402
from gradcheck.batch.pool import pinned_cpus  # noqa: E402
from gradcheck.batch.start import forkable  # noqa: E402
from gradcheck.spec import find_spec, load_sheet  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WRONG = ("transposed_1d.py", "mul_swapped.py", "sum_ignores_upstream.py",
         "factor_two_1h_sign_1c.py", "numerical_1a.py")


def generate(folder: Path, count: int) -> None:
    """``count`` student folders ``sheet01-student<NNN>/sheet01.py``, mostly correct."""
    solution = (ROOT / "solutions" / "sheet01.py").read_text()
    wrong = [solution + "\n\n" + (ROOT / "tests" / "submissions" / name).read_text()
             for name in WRONG]
    broken = (ROOT / "tests" / "submissions" / "syntax_error.py").read_text()
    texts = []
    for n in range(count):
        if n == count // 2:
            texts.append(broken)
        elif n % 7 == 6:
            texts.append(wrong[(n // 7) % len(wrong)])
        else:
            texts.append(solution)
    write(folder, texts)


FLOAT32 = """
def _float32(function):
    def answer(*args):
        value = function(*args)
        if isinstance(value, tuple):
            return tuple(np.asarray(v, dtype=np.float32) for v in value)
        return np.asarray(value, dtype=np.float32)
    return answer


for _name in [n for n in dir() if n.startswith(("d_", "jac_", "grad_"))]:
    globals()[_name] = _float32(globals()[_name])
"""
NUMERICAL_1C = """
def d_1c(x):   # a forward difference of the sigmoid
    h = 1e-4
    return (1 / (1 + np.exp(-(x + h))) - 1 / (1 + np.exp(-x))) / h
"""
EXCEPTION = """
def jac_1d(x):
    raise NotImplementedError("the Jacobian is still to do")
"""
# (kind, how many in 40, what is appended to the reference solution; None: the file alone)
CLASS = (
    ("correct", 12, ""),
    ("correct float32", 4, FLOAT32),
    ("transposed Jacobian", 3, "transposed_1d.py"),
    ("sign and factor 2", 3, "factor_two_1h_sign_1c.py"),
    ("dropped chain-rule factor", 3, "inner_factor_1f3.py"),
    ("node backward, inputs swapped", 3, "mul_swapped.py"),
    ("node ignores upstream", 4, "sum_ignores_upstream.py"),
    ("numerical 1a", 2, "numerical_1a.py"),
    ("numerical 1c", 2, NUMERICAL_1C),
    ("syntax error", 1, None),
    ("exception", 1, EXCEPTION),
    ("never returns", 1, "loops_forever_1c.py"),
    ("missing import", 1, "import not_a_module_here\n"),
)


def class_texts() -> dict[str, str]:
    """Each kind of the class and its submission text."""
    solution = (ROOT / "solutions" / "sheet01.py").read_text()
    texts = {}
    for kind, _count, extra in CLASS:
        if extra is None:
            texts[kind] = (ROOT / "tests" / "submissions" / "syntax_error.py").read_text()
        elif extra.endswith(".py"):
            texts[kind] = solution + "\n\n" + (ROOT / "tests" / "submissions" / extra).read_text()
        elif extra.startswith("import"):
            texts[kind] = extra + solution
        else:
            texts[kind] = solution + "\n\n" + extra
    return texts


def generate_class(folder: Path, count: int) -> None:
    """A class of ``count`` in the proportions of ``CLASS`` (given for 40), interleaved."""
    texts = class_texts()
    kinds = [kind for kind, n, _extra in CLASS for _ in range(n)]
    order = sorted(range(len(kinds)), key=lambda i: (i * 7) % len(kinds))
    write(folder, [texts[kinds[order[n % len(kinds)]]] for n in range(count)])


def write(folder: Path, texts: list[str]) -> None:
    for n, text in enumerate(texts):
        student = folder / f"sheet01-student{n:03d}"
        student.mkdir(parents=True)
        (student / "sheet01.py").write_text(f"# student {n}\n" + text)


def grading_cpu(timeout: float | None, copies: int = 4) -> dict[str, tuple[float, float]]:
    """Grading CPU (this process: drawing is done, workers not counted) of each kind of the
    class: (the first copy, the median of the next ones), all graded with one prepared
    sheet and one sandbox, one after the other, as a grading process of a batch does."""
    from gradcheck.grading import grader
    from gradcheck.sandbox import Sandbox

    sheet = load_sheet("sheet01")
    prepared = grader.prepare(sheet, sheet.seed)
    texts = class_texts()
    found: dict[str, list[float]] = {kind: [] for kind in texts}
    with tempfile.TemporaryDirectory(prefix="gradcheck-cpu-") as tmp, Sandbox() as sandbox:
        path = Path(tmp) / "sheet01.py"
        path.write_text(texts["correct"])
        grader.grade(prepared, path, sandbox=sandbox, timeout=timeout)   # warms everything
        for copy in range(copies):
            for kind, text in texts.items():
                path.write_text(f"# copy {copy}\n" + text)
                session = sandbox.open(path, module="sheet01", forbid=sheet.forbid)
                started = time.process_time()
                grader.grade(prepared, path, session=session, timeout=timeout)
                found[kind].append(time.process_time() - started)
    return {kind: (cpu[0], statistics.median(cpu[1:])) for kind, cpu in found.items()}


def busy_seconds() -> float:
    """CPU seconds (all CPUs, user + nice + system + irq + softirq) since boot; 0 without
    /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def measure(folder: Path, out: Path, jobs: int, timeout: float | None,
            pin: bool | None = None) -> dict:
    sheet = load_sheet("sheet01")
    finished: list[float] = []
    before = busy_seconds()
    started = time.perf_counter()
    report = run_batch(sheet, find_spec("sheet01"), folder, out / "grades.csv", jobs=jobs,
                       fresh=True, timeout=timeout, pin=pin,
                       on_progress=lambda p: finished.append(time.perf_counter()))
    total = time.perf_counter() - started
    cpu = busy_seconds() - before
    count = report.summary.graded_now
    steady = (count - 1) / (finished[-1] - finished[1]) if count > 2 else float("nan")
    cpu /= count
    return {"jobs": jobs, "count": count, "total": total, "rate": count / total,
            "steady": steady,
            "grade": statistics.median(r.result.duration for r in report.rows if r.result),
            "cpu": cpu, "scores": report.summary.mean}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mix", choices=("correct", "class"), default="correct",
                        help="mostly correct submissions, or a class as it really is")
    parser.add_argument("--count", type=int, help="submissions (default 200; a class: 40)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--timeout", type=float,
                        help="seconds per call of a student function (default: the spec's)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per --jobs value (best kept)")
    parser.add_argument("--pin", choices=("auto", "on", "off"), default="auto",
                        help="keep each grading process to a CPU (auto: as gradcheck batch "
                             "does, with one job per CPU)")
    args = parser.parse_args()
    count = args.count or (40 if args.mix == "class" else 200)
    timeout = f"{args.timeout:g} s" if args.timeout else "the spec's"
    print(f"{count} submissions of sheet01 ({args.mix}), {os.cpu_count()} CPUs, sandbox "
          f"{os.environ.get('GRADCHECK_SANDBOX', 'auto')}, timeout {timeout} per call")
    if args.mix == "class":
        loops = sum(n for kind, n, _extra in CLASS if kind == "never returns") * count / 40
        seconds = args.timeout or load_sheet("sheet01").timeout or 5.0
        what = "submission never returns" if loops == 1 else "submissions never return"
        print(f"{loops:g} {what}: each takes the call timeout ({seconds:g} s) "
              f"and a CPU, so this class takes at least {seconds:g} s (at most "
              f"{count / seconds:.1f} submissions/s), and {loops * seconds:g} CPU seconds")
        cpu = grading_cpu(args.timeout)
        base = cpu["correct"][1]
        print(f"{'grading CPU of one submission':32} {'first':>8} {'then':>8} {'x correct':>10}")
        for kind, (first, then) in cpu.items():
            print(f"{kind:32} {1000 * first:6.0f}ms {1000 * then:6.0f}ms {then / base:9.2f}x")
    how = "forked from this one" if forkable() else "started afresh (this process runs threads)"
    pin = {"auto": None, "on": True, "off": False}[args.pin]
    pinned = {jobs: pinned_cpus(jobs, pin) for jobs in args.jobs}
    print(f"grading processes: {how}; " + ", ".join(
        f"{jobs} {'job' if jobs == 1 else 'jobs'} " + (f"on CPUs {cpus}" if cpus else "unpinned")
        for jobs, cpus in pinned.items()))
    print(f"{'jobs':>4}  {'end to end':>18}  {'steady':>9}  {'per submission':>14}  "
          f"{'CPU/submission':>14}")
    with tempfile.TemporaryDirectory(prefix="gradcheck-bench-") as tmp:
        folder = Path(tmp) / "submissions"
        (generate_class if args.mix == "class" else generate)(folder, count)
        for jobs in args.jobs:
            runs = [measure(folder, Path(tmp) / f"out{jobs}-{k}", jobs, args.timeout, pin)
                    for k in range(args.repeat)]
            best = max(runs, key=lambda r: r["rate"])
            print(f"{jobs:>4}  {best['total']:6.2f} s {best['rate']:6.1f}/s  "
                  f"{best['steady']:7.1f}/s  {1000 * best['grade']:11.0f} ms  "
                  f"{1000 * best['cpu']:11.0f} ms")


if __name__ == "__main__":
    main()
