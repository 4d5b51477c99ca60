"""A tie in max/min or max pooling has no derivative: a fixed test point there is a spec error
(the kink probe's one-sided differences see it), and random points are graded as usual."""

import textwrap

import numpy as np
import pytest

from gradcheck.errors import SpecError
from gradcheck.spec import parse_sheet
from gradcheck.spec.sampling import sample_points

SPEC = """\
sheet: kinks
title: Ties
exercises:
  - id: max
    title: max of a vector
    points: 1
    student: d_max
    function: "max(x) + 0.5 * min(x)"
    inputs:
      x: {shape: [3]}
    wrt: x
    points_at: [POINT]
  - id: pool
    title: max pooling
    points: 1
    student: d_pool
    function: "sum(max_pool2d(x, 2) * g)"
    inputs:
      x: {shape: [1, 1, 2, 2]}
      g: {shape: [1, 1, 1, 1]}
    wrt: x
    points_at: [POOL]
"""


def _exercise(point: str, pool: str = "{random: 2}", index: int = 0):
    text = SPEC.replace("POINT", point).replace("POOL", pool)
    return parse_sheet(textwrap.dedent(text), file="kinks.yaml").exercises[index]


def test_random_points_are_graded_with_the_gradient_on_the_extreme_entry():
    for point in sample_points(_exercise("{random: 3}"), seed=1):
        x = point.inputs["x"]
        expected = np.zeros(3)
        expected[np.argmax(x)] += 1.0
        expected[np.argmin(x)] += 0.5
        np.testing.assert_allclose(point.expected[0], expected)


@pytest.mark.parametrize("point, pool, index", [
    ("{x: [1.0, 1.0, 0.5]}", "{random: 1}", 0),
    ("{random: 1}", "{x: [[[[0.3, 0.3], [0.1, -0.2]]]], g: [[[[1.0]]]]}", 1),
])
def test_a_fixed_point_at_a_tie_is_a_spec_error(point, pool, index):
    with pytest.raises(SpecError, match="not differentiable there"):
        sample_points(_exercise(point, pool, index), seed=0, file="kinks.yaml")
