"""Grading processes forked from the coordinator (when it runs no other thread) grade exactly
as processes started afresh do; a coordinator with a thread of its own starts them afresh;
a forked process that dies is reported and replaced like any other."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gradcheck.batch.pool import GraderPool, Task
from gradcheck.batch.start import FORKED_POLL, Forked, forkable
from gradcheck.spec import find_spec, load_sheet

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "sheet01.py"
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

# Grades three submissions with two grading processes in a fresh coordinator (one thread:
# numpy on one thread, as `gradcheck batch` starts it), prints how each process was started
# and every result's scores; with "thread", a thread is running when the pool starts.
COORDINATOR = textwrap.dedent("""
    import json, sys, threading
    from pathlib import Path
    from gradcheck.batch.pool import GraderPool, Task
    from gradcheck.grading import grader
    from gradcheck.spec import find_spec, load_sheet

    solution, wrong, *flags = sys.argv[1:]
    if "thread" in flags:
        stop = threading.Event()
        threading.Thread(target=stop.wait, daemon=True).start()
    sheet = load_sheet("sheet01")
    results = {}
    tasks = [Task(Path(solution), "a.py"), Task(Path(wrong), "b.py"), Task(Path(solution), "c.py")]
    with GraderPool(find_spec("sheet01"), 5, 0.5, 2, sheet.sha256, budget=60, sheet=sheet,
                    hand=lambda: grader.prepare(sheet, 5).hand()) as pool:
        pool.start(len(tasks))
        started = [type(g.process).__name__ for g in pool.graders]
        def done(n, message, result):
            data = json.loads(result)
            results[data["submission"]] = {e["id"]: e["score"] for e in data["exercises"]}
        pool.run(tasks, done)
    print(json.dumps({"started": started, "results": results}))
""")


def _coordinate(tmp_path: Path, *flags: str) -> dict:
    wrong = tmp_path / "wrong.py"
    wrong.write_text(SOLUTION.read_text() + "\n\n"
                     + (ROOT / "tests" / "submissions" / "transposed_1d.py").read_text())
    done = subprocess.run([sys.executable, "-c", COORDINATOR, str(SOLUTION), str(wrong),
                           *flags], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, **ONE_THREAD})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_forked_and_fresh_grading_processes_give_the_same_results(tmp_path):
    forked = _coordinate(tmp_path)
    fresh = _coordinate(tmp_path, "thread")
    assert forked["started"] == ["Forked", "Forked"]
    assert fresh["started"] == ["Popen", "Popen"]
    assert forked["results"] == fresh["results"]
    results = forked["results"]
    assert results["a.py"] == results["c.py"] and results["a.py"]["1d"] == 2.0
    assert results["b.py"]["1d"] == 0.0                       # the transposed Jacobian
    assert {k: v for k, v in results["b.py"].items() if k != "1d"} == \
        {k: v for k, v in results["a.py"].items() if k != "1d"}


def test_forkable_only_while_no_other_thread_runs():
    script = textwrap.dedent("""
        import threading, time
        from gradcheck.batch.start import forkable
        before = forkable()
        stop = threading.Event()
        thread = threading.Thread(target=stop.wait)
        thread.start()
        during = forkable()
        stop.set(); thread.join()
        for _ in range(200):   # the thread's task leaves /proc a moment after join()
            if forkable():
                break
            time.sleep(0.005)
        print(before, during, forkable())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **ONE_THREAD}, timeout=60)
    assert done.returncode == 0, done.stderr
    expected = "True False True" if sys.platform.startswith("linux") else "False False False"
    assert done.stdout.split() == expected.split()


def test_this_test_process_starts_its_grading_processes_afresh():
    # pytest's workers run threads of their own: forking here is what forkable() prevents
    assert not forkable()


def _child(code: str) -> int:
    return os.posix_spawn(sys.executable, [sys.executable, "-c", code], os.environ)


def test_a_forked_handle_waits_kills_and_reports_the_status():
    sleeper = Forked(_child("import time; time.sleep(30)"))
    with pytest.raises(subprocess.TimeoutExpired):
        sleeper.wait(timeout=10 * FORKED_POLL)
    sleeper.terminate()
    assert sleeper.wait(timeout=10) == -signal.SIGTERM
    sleeper.kill()                                   # reaped already: nothing to signal
    assert sleeper.returncode == -signal.SIGTERM
    exits = Forked(_child("raise SystemExit(3)"))
    assert exits.wait() == 3 and exits.wait(timeout=0) == 3


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="grading processes fork on Linux")
def test_a_forked_grading_process_that_dies_is_replaced(tmp_path):
    script = textwrap.dedent("""
        import json, os, signal, sys
        from pathlib import Path
        from gradcheck.batch.pool import GraderPool, Task
        from gradcheck.spec import find_spec, load_sheet

        sheet = load_sheet("sheet01")
        tasks = [Task(Path(sys.argv[1]), f"{n}.py") for n in range(4)]
        finished = []
        with GraderPool(find_spec("sheet01"), 5, 0.5, 1, sheet.sha256, budget=60,
                        sheet=sheet) as pool:
            pool.start(len(tasks))
            first = pool.graders[0].process
            def done(n, message, result):
                finished.append((n, message["op"], message.get("message", "")))
                if n == 0:
                    os.kill(pool.graders[0].process.pid, signal.SIGKILL)
            pool.run(tasks, done)
            print(json.dumps({"finished": finished, "first": type(first).__name__}))
    """)
    done = subprocess.run([sys.executable, "-c", script, str(SOLUTION)], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, **ONE_THREAD}, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["first"] == "Forked"
    ops = {n: op for n, op, _ in report["finished"]}
    assert sorted(ops) == [0, 1, 2, 3] and ops[0] == "done"
    failed = [(n, why) for n, op, why in report["finished"] if op == "failed"]
    assert len(failed) == 1 and "killed by signal 9" in failed[0][1], report
    assert all(op == "done" for n, op in ops.items() if n != failed[0][0])


def test_a_pool_started_early_grades_with_the_processes_it_started():
    sheet = load_sheet("sheet01")
    results = []
    with GraderPool(find_spec("sheet01"), 1, 0.5, 2, sheet.sha256, budget=60,
                    sheet=sheet) as pool:
        pool.start(1)
        first = pool.graders[0]
        pool.run([Task(SOLUTION, "a.py"), Task(SOLUTION, "b.py")],
                 lambda n, message, result: results.append(message["op"]))
        assert pool.graders[0] is first and len(pool.graders) == 2   # one more for the second
    assert results == ["done", "done"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="grading processes fork on Linux")
def test_the_batch_command_forks_its_grading_processes_with_its_progress_bar_on(tmp_path):
    # on a terminal (FORCE_COLOR), the progress bar's refresh thread starts only after the
    # grading processes were forked
    for student in ("ann", "bob"):
        (tmp_path / "subs" / student).mkdir(parents=True)
        (tmp_path / "subs" / student / "sheet01.py").write_text(SOLUTION.read_text())
    script = textwrap.dedent("""
        import sys
        from gradcheck.batch import pool
        started = []
        real = pool._Grader.__init__
        def record(self, *args, **kwargs):
            real(self, *args, **kwargs)
            started.append(type(self.process).__name__)
        pool._Grader.__init__ = record
        from gradcheck.cli import main
        try:
            main(sys.argv[1:])
        except SystemExit as exc:
            print("started", *started, "exit", exc.code, file=sys.stderr)
    """)
    done = subprocess.run([sys.executable, "-c", script, "batch", "sheet01",
                           str(tmp_path / "subs"), "-o", str(tmp_path / "grades.csv"),
                           "--jobs", "2", "--timeout", "0.5"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "FORCE_COLOR": "1"})
    assert done.stderr.splitlines()[-1].endswith("started Forked Forked exit 0"), done.stderr
    assert "grading" in done.stderr and "2/2" in done.stderr            # the live bar drew
    assert (tmp_path / "grades.csv").read_text().count("\n") == 3
