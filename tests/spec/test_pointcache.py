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


def _counting_answer_functions(monkeypatch):
    """Count every evaluation of the spec's function that recognising a difference quotient
    makes (grading.judge builds its models from answer_function)."""
    calls = []
    real = judge.answer_function

    def counted(exercise, point, k):
        found = real(exercise, point, k)
        if found is None:
            return None
        name, f = found
        return name, lambda v: calls.append(exercise.id) or f(v)

    monkeypatch.setattr(judge, "answer_function", counted)
    return calls


def test_a_rerun_takes_up_what_the_last_run_found_at_failing_points(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADCHECK_CACHE", str(tmp_path / "cache"))
    sheet = load_sheet("sheet01")
    text = (ROOT / "solutions" / "sheet01.py").read_text()
    submission = tmp_path / "sheet01.py"
    submission.write_text(text + "\n\n" + (SUBMISSIONS / "numerical_1a.py").read_text())
    calls = _counting_answer_functions(monkeypatch)
    first = grader.grade(grader.prepare(sheet, 4, cache=True), submission)
    assert "difference quotient" in first.exercises[0].message
    assert calls and set(calls) == {"1a"}   # the quotient model evaluated the spec there
    calls.clear()
    rerun = grader.prepare(sheet, 4, cache=True)
    assert rerun.found() > 0
    again = grader.grade(rerun, submission)
    assert not calls, f"{len(calls)} evaluations of the spec function again on the rerun"
    assert _timeless(again.to_dict()) == _timeless(first.to_dict())


def test_a_rerun_without_the_cache_evaluates_again(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADCHECK_CACHE", str(tmp_path / "cache"))
    sheet = load_sheet("sheet01")
    submission = tmp_path / "sheet01.py"
    submission.write_text((ROOT / "solutions" / "sheet01.py").read_text() + "\n\n"
                          + (SUBMISSIONS / "numerical_1a.py").read_text())
    calls = _counting_answer_functions(monkeypatch)
    first = grader.grade(grader.prepare(sheet, 4, cache=True), submission)
    done = len(calls)
    for path in (tmp_path / "cache").glob("findings-*.npz"):
        path.unlink()
    again = grader.grade(grader.prepare(sheet, 4, cache=True), submission)
    assert len(calls) == 2 * done and _timeless(again.to_dict()) == _timeless(first.to_dict())


def test_a_right_answer_leaves_the_quotient_models_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADCHECK_CACHE", str(tmp_path / "cache"))
    calls = _counting_answer_functions(monkeypatch)
    result = grader.grade(grader.prepare(load_sheet("sheet01"), 4, cache=True),
                          ROOT / "solutions" / "sheet01.py")
    assert result.score == result.max_score and not calls


def test_findings_keep_the_evaluations_exactly(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADCHECK_CACHE", str(tmp_path))
    value = np.array([np.pi, np.nan, -np.inf])
    memo = {(0, 1e-3): np.array([1 / 3, 2.0, np.inf]), (2, -0.1 / 3): np.full(3, -0.0)}
    found = {("1a", 2, 0): pointcache.Evaluations(value, memo)}
    pointcache.store_findings("ab" * 32, 9, ({("1a", 2): ""}, found))
    agreement, evaluations = pointcache.load_findings("ab" * 32, 9)
    assert agreement == {("1a", 2): ""} and list(evaluations) == [("1a", 2, 0)]
    back = evaluations[("1a", 2, 0)]
    np.testing.assert_array_equal(back.value, value)
    assert list(back.memo) == list(memo)
    for key in memo:
        np.testing.assert_array_equal(back.memo[key], memo[key])
