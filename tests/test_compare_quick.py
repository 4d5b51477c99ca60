"""compare() decides small answers that pass cleanly on Python floats (compare.quick): the
result is the one numpy's path gives, field for field, and every other answer still goes
through numpy's path."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradcheck import compare
from gradcheck.compare import quick

SHAPES = st.sampled_from([(), (1,), (3,), (2, 3), (2, 2, 2), (4, 4, 4)])
VALUES = st.floats(allow_nan=False, allow_infinity=False, width=64) | st.sampled_from(
    [0.0, -0.0, 1.0, 5e-324, 1e-310, 1.7e308, -1.7e308])


def _numpy_path(expected, received, **options):
    """compare() through numpy's path: an error estimate of zeros changes no tolerance."""
    return compare.compare(expected, received, error=np.zeros(np.shape(expected)), **options)


@st.composite
def answers(draw):
    shape = draw(SHAPES)
    expected = draw(hnp.arrays(np.float64, shape, elements=VALUES))
    how = draw(st.sampled_from(["same", "rounded", "near", "off", "float32", "ties"]))
    with np.errstate(all="ignore"):
        return expected, _received(draw, expected, shape, how)


def _received(draw, expected, shape, how):
    if how == "same":
        received = expected.copy()
    elif how == "rounded":
        received = expected * (1 + draw(st.sampled_from([1e-16, 1e-13, 1e-10, 3e-9])))
    elif how == "near":
        noise = draw(hnp.arrays(np.float64, shape, elements=st.floats(-1e-7, 1e-7)))
        received = expected + noise * max(float(np.max(np.abs(expected), initial=0.0)), 1.0)
    elif how == "off":
        received = expected + draw(st.sampled_from([1e-3, -2.0, 1e300]))
    elif how == "float32":
        received = expected.astype(np.float32).astype(np.float64)
    else:   # equal errors in several entries: the first is the worst, as with numpy
        received = expected + 1e-12
    return received


@settings(max_examples=400, deadline=None)
@given(answers(), st.sampled_from([None, 1e-6, 1e-3]), st.sampled_from([None, 0.0, 1e-8]))
def test_quick_verdicts_are_numpys_verdicts(answer, rtol, atol):
    expected, received = answer
    with np.errstate(all="ignore"):
        assert compare.compare(expected, received, rtol=rtol, atol=atol, label="d/dx") \
            == _numpy_path(expected, received, rtol=rtol, atol=atol, label="d/dx")


def test_the_quick_path_takes_clean_passes_only():
    expected = np.array([[0.3, -1.2, 0.5], [0.1, 2.0, -0.7]])
    found = quick.clean_pass(expected, expected + 1e-12, 1e-6, 0.0, 1e-9, "J")
    assert found == _numpy_path(expected, expected + 1e-12, rtol=1e-6, atol=0.0, label="J")
    assert found.passed and found.code == "ok"
    for wrong in (expected.T.copy().reshape(2, 3), 2 * expected, expected + 1e-4,
                  np.where(expected > 1, math.nan, expected)):
        assert quick.clean_pass(expected, wrong, 1e-6, 0.0, 1e-9) is None
    # within tolerance but suspiciously far: compare looks for a difference quotient
    assert quick.clean_pass(expected, expected + 1e-8, 1e-6, 0.0, 1e-9) is None


@pytest.mark.parametrize("size", [quick.SMALL, quick.SMALL + 1])
def test_large_answers_take_numpys_path_with_the_same_verdict(size, monkeypatch):
    expected = np.linspace(-1.0, 1.0, size)
    calls = []
    real = quick.clean_pass
    monkeypatch.setattr(quick, "clean_pass", lambda *a, **k: calls.append(1) or real(*a, **k))
    result = compare.compare(expected, expected + 1e-13)
    assert result.passed and bool(calls) == (size <= quick.SMALL)
    assert result == _numpy_path(expected, expected + 1e-13)
