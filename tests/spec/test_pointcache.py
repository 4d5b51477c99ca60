import numpy as np

from gradcheck.grading import grader
from gradcheck.spec import load_sheet, pointcache


def _same(a, b):
    assert a.keys() == b.keys()
    for exercise_id in a:
        for p, q in zip(a[exercise_id], b[exercise_id], strict=True):
            assert list(p.inputs) == list(q.inputs) and p.labels == q.labels
            assert p.fixed == q.fixed
            for x, y in zip([*p.inputs.values(), *p.expected], [*q.inputs.values(), *q.expected],
                            strict=True):
                np.testing.assert_array_equal(x, y)
            assert (p.grad_output is None) == (q.grad_output is None)
            if p.grad_output is not None:
                np.testing.assert_array_equal(p.grad_output, q.grad_output)


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
