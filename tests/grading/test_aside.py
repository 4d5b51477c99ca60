"""``grading.aside``: a forked process checks a sheet's fixed points while the grader grades;
what it finds is what checking them here finds, a fixed point that cannot be graded is still
the spec error before any result, and whatever does not come back is checked here."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gradcheck.errors import SpecError
from gradcheck.grading.aside import check_aside
from gradcheck.grading.prepared import prepare
from gradcheck.spec import load_sheet, parse_sheet

ROOT = Path(__file__).resolve().parents[2]
KINK = ("sheet: kink\ntitle: t\nexercises:\n"
        "  - id: a\n    title: abs\n    points: 1\n    student: d_abs\n"
        "    function: abs(x)\n    inputs: {x: {shape: []}}\n    wrt: x\n"
        "    points_at: [{x: 1.0}, {x: 0.0}]\n")


def test_the_forked_check_finds_what_checking_here_finds():
    here = prepare(load_sheet("sheet01"), 5)   # checked in this process
    there = prepare(load_sheet("sheet01"), 5, check_fixed=False)
    found = check_aside(there)
    rows = found()
    assert sorted(map(tuple, rows)) == sorted(map(tuple, here.findings()))
    assert len(rows) == sum(p.fixed for points in there.points.values() for p in points)
    assert there.found() == 0   # nothing was checked in this process
    there.check_fixed(found=lambda: rows)
    assert sorted(map(tuple, there.findings())) == sorted(map(tuple, here.findings()))


def test_a_fixed_point_at_a_kink_is_still_the_spec_error():
    sheet = parse_sheet(KINK, file="kink.yaml")
    prepared = prepare(sheet, 1, check_fixed=False)
    found = check_aside(prepared)
    with pytest.raises(SpecError) as raised:
        prepared.check_fixed(found=found)
    assert "fixed test point 2 cannot be graded" in str(raised.value)
    assert (raised.value.file, raised.value.key) == ("kink.yaml", "points_at")


@pytest.mark.parametrize("rows", [[], [["nope", 0, ""]], [["1a", 99, ""]], [["1a"]]])
def test_what_does_not_come_back_or_does_not_fit_is_checked_here(rows):
    here = prepare(load_sheet("sheet01"), 2)
    there = prepare(load_sheet("sheet01"), 2, check_fixed=False)
    there.check_fixed(found=lambda: rows)
    assert sorted(map(tuple, there.findings())) == sorted(map(tuple, here.findings()))


def test_a_child_that_dies_sends_nothing(monkeypatch):
    prepared = prepare(load_sheet("sheet01"), 3, check_fixed=False)
    monkeypatch.setattr(type(prepared), "_fixed_problem", lambda self: os._exit(3))
    assert check_aside(prepared)() == []


def test_gradcheck_grade_reports_the_kink_as_a_spec_error(tmp_path):
    spec = tmp_path / "kink.yaml"
    spec.write_text(KINK)
    (tmp_path / "kink.py").write_text("def d_abs(x):\n    return 1.0\n")
    run = subprocess.run([sys.executable, "-m", "gradcheck", "grade", str(spec), "--format",
                          "json"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "GRADCHECK_CACHE": "off", "PYTHONPATH": str(ROOT)})
    assert run.returncode == 2, run.stdout + run.stderr
    assert "fixed test point 2 cannot be graded" in run.stderr and not run.stdout


def test_a_child_that_says_too_much_is_ended_and_ignored(monkeypatch):
    from gradcheck.grading import aside

    prepared = prepare(load_sheet("sheet01"), 3, check_fixed=False)
    monkeypatch.setattr(aside, "MAX_REPLY", 1000)
    monkeypatch.setattr(type(prepared), "findings", lambda self: [["1a", 0, "x" * 10**6]])
    assert check_aside(prepared)() == []


def test_a_child_that_never_finishes_is_ended_and_the_points_are_checked_here(monkeypatch):
    # e.g. stuck on a lock a thread of the grader held at the fork: the grade does not hang
    import time

    from gradcheck.grading import aside

    here = prepare(load_sheet("sheet01"), 4)
    there = prepare(load_sheet("sheet01"), 4, check_fixed=False)
    with monkeypatch.context() as patched:
        patched.setattr(type(there), "_fixed_problem", lambda self: time.sleep(60))
        found = check_aside(there)
    monkeypatch.setattr(aside, "ASIDE_TIMEOUT", 0.3)
    started = time.monotonic()
    rows = found()
    assert rows == [] and time.monotonic() - started < 10
    there.check_fixed(found=lambda: rows)
    assert sorted(map(tuple, there.findings())) == sorted(map(tuple, here.findings()))
