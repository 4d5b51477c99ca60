"""Answers at the edges of float64 (±1.7e308, subnormals, inf, nan) get a verdict and a
diagnosis from compare(), never an exception or a printed RuntimeWarning."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradcheck import compare

EXTREMES = [1.7e308, -1.7e308, 1.0e308, 5e-324, -5e-324, 1e-310, 2.2250738585072014e-308,
            0.0, -0.0, 0.25, 1.0, math.inf, -math.inf, math.nan]
FINITE = [v for v in EXTREMES if math.isfinite(v)]


def _strict(result) -> None:
    """The result is complete and every renderer can write it (strict JSON here)."""
    assert result.diagnosis or result.passed
    data = result.to_dict()
    json.dumps(data, default=str)


@pytest.mark.parametrize("shape", [(), (3,), (2, 2)])
@pytest.mark.parametrize("expected", FINITE)
@pytest.mark.parametrize("received", EXTREMES)
def test_every_extreme_answer_gets_a_verdict(shape, expected, received):
    with warnings.catch_warnings():
        warnings.simplefilter("error")    # a RuntimeWarning would be printed by the grader
        result = compare.compare(np.full(shape, expected), np.full(shape, received))
    _strict(result)
    if not abs(received - expected) < 1e-3:    # far apart, inf or nan
        assert not result.passed


def test_huge_answer_is_wrong_with_a_message():
    result = compare.compare(np.array(0.25), np.array(1.7e308))
    assert not result.passed and result.code == "values" and result.diagnosis
    assert result.received == 1.7e308 and result.expected == 0.25


def test_a_nice_factor_still_named():
    result = compare.compare(np.array([1.0, 2.0]), np.array([2.0, 4.0]))
    assert result.code == "factor" and "factor 2" in result.diagnosis


def test_a_subnormal_answer_to_a_subnormal_derivative():
    result = compare.compare(np.array(5e-324), np.array(1e-310))
    assert result.code in ("values", "close", "factor")   # decided, not a ZeroDivisionError
    assert compare.compare(np.array(5e-324), np.array(5e-324)).passed


floats = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True, width=64)
finite = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True, width=64)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=3))
def test_compare_is_total(data, shape):
    expected = data.draw(hnp.arrays(np.float64, shape, elements=finite))
    received = data.draw(hnp.arrays(np.float64, shape, elements=floats))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = compare.compare(expected, received)
        turned = compare.compare(expected, received.T) if received.ndim == 2 else result
    _strict(result)
    _strict(turned)
