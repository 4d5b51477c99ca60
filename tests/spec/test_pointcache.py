from pathlib import Path

import numpy as np

from gradcheck.grading import grader, judge
from gradcheck.spec import load_sheet, pointcache

ROOT = Path(__file__).resolve().parents[2]
SUBMISSIONS = ROOT / "tests" / "submissions"


def _same(a, b):
    assert a.keys() == b.keys()
    for exercise_id in a:
        for p, q in zip(a[exercise_id], b[exercise_id], strict=True):
            assert list(p.inputs) == list(q.inputs) and p.labels == q.labels
            assert (p.fixed, p.probe, p.verified) == (q.fixed, q.probe, q.verified)
            for x, y in zip([*p.inputs.values(), *p.expected], [*q.inputs.values(), *q.expected],
                            strict=True):
                np.testing.assert_array_equal(x, y)
            assert (p.grad_output is None) == (q.grad_output is None)
            if p.grad_output is not None:
                np.testing.assert_array_equal(p.grad_output, q.grad_output)


def _timeless(data):
    if isinstance(data, dict):
        return {k: _timeless(v) for k, v in data.items() if k != "duration"}
    return [_timeless(v) for v in data] if isinstance(data, list) else data


def test_cached_points_are_the_drawn_points(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADCHECK_CACHE", str(tmp_path))
    sheet = load_sheet("sheet01")
    drawn = grader.prepare(sheet, 5, cache=True).points
    assert len(list(tmp_path.glob("points-*.npz"))) == 1
    _same(pointcache.load(sheet.sha256, 5), drawn)
    _same(grader.prepare(sheet, 5, cache=True).points, drawn)
    assert pointcache.load(sheet.sha256, 6) is None


def test_a_broken_cache_file_is_ignored_and_rewritten(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADCHECK_CACHE", str(tmp_path))
    sheet = load_sheet("sheet01")
    path = tmp_path / f"points-{pointcache.cache_key(sheet.sha256, 1)}.npz"
    path.write_bytes(b"not a zip file")
    points = grader.prepare(sheet, 1, cache=True).points
    _same(pointcache.load(sheet.sha256, 1), points)


def test_cache_can_be_switched_off(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADCHECK_CACHE", "off")
    assert pointcache.cache_dir() is None
    grader.prepare(load_sheet("sheet01"), 2, cache=True)
    assert pointcache.load(load_sheet("sheet01").sha256, 2) is None


def test_a_rerun_takes_up_what_the_last_run_found_at_failing_points(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADCHECK_CACHE", str(tmp_path / "cache"))
    sheet = load_sheet("sheet01")
    text = (ROOT / "solutions" / "sheet01.py").read_text()
    submission = tmp_path / "sheet01.py"
    submission.write_text(text + "\n\n" + (SUBMISSIONS / "numerical_1a.py").read_text())
    first = grader.grade(grader.prepare(sheet, 4, cache=True), submission)
    calls = []
    real = judge.difference_quotients
    monkeypatch.setattr(judge, "difference_quotients",
                        lambda *a, **k: calls.append(a) or real(*a, **k))
    rerun = grader.prepare(sheet, 4, cache=True)
    assert rerun.found() > 0
    again = grader.grade(rerun, submission)
    assert not calls and _timeless(again.to_dict()) == _timeless(first.to_dict())
    assert "difference quotient" in again.exercises[0].message
