"""How fast `gradcheck batch` grades: submissions per second with 1 and 2 jobs.

Run from the repository root: ``python benchmarks/batch_speed.py [--count 200] [--jobs 1 2]``.
Generates ``--count`` submissions of sheet01 in a temporary folder (GitHub Classroom layout,
a folder per student): mostly the reference solution, every seventh one of the typical wrong
answers in ``tests/submissions/``, one with a syntax error; every file is different (a
comment with the student's number). Then, for each ``--jobs`` value, grades them all from
scratch (``fresh``) and prints:

- end to end: wall time of the whole batch (starting the grading processes and their
  sandboxes, discovery, hashing, grading, journal, gradebook), submissions per second;
- steady: submissions per second between the first and the last finished submission;
- per submission: the median time one grade takes inside its grading process;
- CPU per submission: CPU time the whole machine spent during the batch (``/proc/stat``:
  coordinator, grading processes, zygotes, workers, kernel; and anything else running)
  divided by the count. With 2 CPUs, 2 s / rate is the most there is.

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

from gradcheck.batch import run_batch  # noqa: E402
from gradcheck.spec import find_spec, load_sheet  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WRONG = ("transposed_1d.py", "mul_swapped.py", "sum_ignores_upstream.py",
         "factor_two_1h_sign_1c.py", "numerical_1a.py")


def generate(folder: Path, count: int) -> None:
    """``count`` student folders ``sheet01-student<NNN>/sheet01.py``."""
    solution = (ROOT / "solutions" / "sheet01.py").read_text()
    wrong = [solution + "\n\n" + (ROOT / "tests" / "submissions" / name).read_text()
             for name in WRONG]
    broken = (ROOT / "tests" / "submissions" / "syntax_error.py").read_text()
    for n in range(count):
        if n == count // 2:
            text = broken
        elif n % 7 == 6:
            text = wrong[(n // 7) % len(wrong)]
        else:
            text = solution
        student = folder / f"sheet01-student{n:03d}"
        student.mkdir(parents=True)
        (student / "sheet01.py").write_text(f"# student {n}\n" + text)


def busy_seconds() -> float:
    """CPU seconds (all CPUs, user + nice + system + irq + softirq) since boot; 0 without
    /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def measure(folder: Path, out: Path, jobs: int) -> dict:
    sheet = load_sheet("sheet01")
    finished: list[float] = []
    before = busy_seconds()
    started = time.perf_counter()
    report = run_batch(sheet, find_spec("sheet01"), folder, out / "grades.csv", jobs=jobs,
                       fresh=True, on_progress=lambda p: finished.append(time.perf_counter()))
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
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=1, help="runs per --jobs value (best kept)")
    args = parser.parse_args()
    print(f"{args.count} submissions of sheet01, {os.cpu_count()} CPUs, "
          f"sandbox {os.environ.get('GRADCHECK_SANDBOX', 'auto')}")
    print(f"{'jobs':>4}  {'end to end':>18}  {'steady':>9}  {'per submission':>14}  "
          f"{'CPU/submission':>14}")
    with tempfile.TemporaryDirectory(prefix="gradcheck-bench-") as tmp:
        folder = Path(tmp) / "submissions"
        generate(folder, args.count)
        for jobs in args.jobs:
            runs = [measure(folder, Path(tmp) / f"out{jobs}-{k}", jobs)
                    for k in range(args.repeat)]
            best = max(runs, key=lambda r: r["rate"])
            print(f"{jobs:>4}  {best['total']:6.2f} s {best['rate']:6.1f}/s  "
                  f"{best['steady']:7.1f}/s  {1000 * best['grade']:11.0f} ms  "
                  f"{1000 * best['cpu']:11.0f} ms")


if __name__ == "__main__":
    main()
