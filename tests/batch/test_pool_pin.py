"""With one job per CPU, each grading process keeps to a CPU of its own, and so does the
worker that runs a student's code there; with fewer jobs, or ``pin=False``, nothing is
pinned."""

import json
import os
from pathlib import Path

import pytest

from gradcheck.batch import pool as pool_module
from gradcheck.batch.pool import GraderPool, Task, pinned_cpus
from gradcheck.batch.process import keep_to_cpu
from gradcheck.spec import find_spec, load_sheet

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "sheet01.py"
can_pin = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs CPU affinity and two CPUs")


@pytest.fixture
def four_cpus(monkeypatch):
    if not hasattr(os, "sched_setaffinity"):
        pytest.skip("no CPU affinity here")
    monkeypatch.setattr(pool_module.os, "sched_getaffinity", lambda pid: {7, 2, 5, 3})


def test_one_job_per_cpu_is_pinned_by_default(four_cpus):
    assert pinned_cpus(4) == [2, 3, 5, 7]
    assert pinned_cpus(4, pin=False) == []


def test_fewer_jobs_than_cpus_are_pinned_only_when_asked(four_cpus):
    assert pinned_cpus(2) == []
    assert pinned_cpus(2, pin=True) == [2, 3]
    assert pinned_cpus(1) == []


def test_more_jobs_than_cpus_are_never_pinned(four_cpus):
    assert pinned_cpus(5) == []
    assert pinned_cpus(5, pin=True) == []


def test_keep_to_cpu_refuses_what_it_cannot_do():
    assert keep_to_cpu(None) is False
    assert keep_to_cpu("0") is False
    if hasattr(os, "sched_setaffinity"):
        before = os.sched_getaffinity(0)
        assert keep_to_cpu(1 << 20) is False        # no such CPU: the affinity stays
        assert os.sched_getaffinity(0) == before


def _worker_cpus(tmp_path: Path, pin: bool) -> list[list[int]]:
    """Four submissions, each printing the CPUs its worker may run on, graded with two
    jobs: what each printed."""
    submission = tmp_path / "sheet01.py"
    submission.write_text(SOLUTION.read_text() + "\nimport os\n"
                          "print('cpus', sorted(os.sched_getaffinity(0)))\n")
    sheet = load_sheet("sheet01")
    printed: list[list[int]] = []

    def done(_n, _message, result):
        output = json.loads(result)["output"]
        line = next(line for line in output.splitlines() if line.startswith("cpus "))
        printed.append(json.loads(line[len("cpus "):]))

    tasks = [Task(submission, f"s{n}.py") for n in range(4)]
    with GraderPool(find_spec("sheet01"), 5, 2.0, 2, sheet.sha256, budget=60, sheet=sheet,
                    pin=pin) as pool:
        pool.run(tasks, done)
    return printed


@can_pin
def test_each_grading_process_and_its_workers_keep_to_one_cpu(tmp_path):
    printed = _worker_cpus(tmp_path, pin=True)
    assert len(printed) == 4
    assert all(len(cpus) == 1 for cpus in printed), printed
    # two processes, two tasks each (QUEUED): both CPUs were used
    assert sorted({cpus[0] for cpus in printed}) == pinned_cpus(2, pin=True)


@can_pin
def test_unpinned_workers_may_run_on_every_cpu(tmp_path):
    printed = _worker_cpus(tmp_path, pin=False)
    assert printed == [sorted(os.sched_getaffinity(0))] * 4
