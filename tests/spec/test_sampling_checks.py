"""What drawing a test point checks of the reference before it keeps the point: the size of
each reference derivative (before it is computed), and that inputs, value and answers are
finite and not huge (else the point is redrawn)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradcheck.engine
from gradcheck.errors import SpecError
from gradcheck.spec import bounds, load_sheet, sampling
from gradcheck.spec.sampling import MAX_MAGNITUDE, _conditioning_problem, reference_answers


def test_a_derivative_too_large_is_refused_before_it_is_computed(monkeypatch):
    exercise = load_sheet("sheet01").exercise("1h")          # (M, N) from sin(A @ x + b)
    inputs = {"x": np.ones(4), "A": np.ones((3, 4)), "b": np.ones(3)}
    value, (jacobian,) = reference_answers(exercise, inputs)
    assert value.shape == (3,) and jacobian.shape == (3, 4)
    monkeypatch.setattr(bounds, "MAX_JACOBIAN", 11)          # 3 x 4 = 12 entries
    computed = []   # the backward passes that fill the derivative start with this
    order = gradcheck.engine._topological_order
    monkeypatch.setattr(gradcheck.engine, "_topological_order",
                        lambda out: computed.append(out) or order(out))
    with pytest.raises(SpecError, match="derivative of f"):
        reference_answers(exercise, inputs)
    assert not computed


def _point(*arrays, value=None):
    point = sampling.TestPoint({"x": arrays[0]}, tuple(arrays[1:]), ("d/dx",))
    return point, np.ones(2) if value is None else value


@pytest.mark.parametrize("point, problem", [
    (_point(np.ones(2), np.ones((2, 2))), ""),
    (_point(np.zeros(0), np.zeros((2, 0)), value=np.zeros(2)), ""),      # empty arrays
    (_point(np.array([0, 3]), np.ones((2, 2))), ""),                      # integer data
    (_point(np.ones(2), np.array([[1.0, math.nan], [0, 1]])), "not finite"),
    (_point(np.array([1.0, -math.inf]), np.ones((2, 2))), "not finite"),
    (_point(np.ones(2), np.ones((2, 2)), value=np.array([1.0, math.inf])), "not finite"),
    (_point(np.ones(2), np.full((2, 2), 2 * MAX_MAGNITUDE)), "too large"),
    (_point(np.array([-2 * MAX_MAGNITUDE, 0.0]), np.ones((2, 2))), "too large"),
])
def test_a_point_is_kept_only_where_everything_is_finite_and_not_huge(point, problem):
    found = _conditioning_problem(*point)
    assert (problem in found) if problem else found == "", found
