"""Data inputs and parameters reach the student's code as declared (dtype, values) and are
graded: right answers pass, wrong ones fail."""

import textwrap

import pytest

from gradcheck.grading.grader import grade
from gradcheck.grading.validate import validate
from gradcheck.sandbox import Sandbox
from gradcheck.spec import parse_sheet

SPEC = """\
sheet: data
title: Data inputs and parameters
exercises:
  - id: drop
    title: dropout, as a derivative
    points: 2
    student: d_drop
    function: "x * mask / p"
    sizes: {N: [2, 3], C: [3, 4]}
    inputs:
      x: {shape: [N, C]}
      mask: {shape: [N, C], dtype: mask, keep: 0.6}
      y: {shape: [N], dtype: int, range: [0, C]}
    params: {p: 0.6, info: {tag: train, k: 3}}
    wrt: x
    points_at: [{random: 3}]
  - id: scale
    title: a node that scales by a mask
    kind: node
    points: 3
    student: Scale
    function: "w * x * keep"
    inputs:
      x: {shape: [4]}
      keep: {shape: [4], dtype: bool, keep: 0.5}
      w: {shape: []}
    points_at: [{random: 3}]
"""

RIGHT = '''
import numpy as np

def d_drop(x, mask, y, p, info):
    assert y.dtype.kind == "i" and mask.dtype == np.float64, (y.dtype, mask.dtype)
    assert info == {"tag": "train", "k": 3} and p == 0.6, info
    assert y.max() < x.shape[1]
    return np.diag((mask / p).ravel()).reshape(x.shape + x.shape)

class Scale:
    def forward(self, x, keep, w):
        assert keep.dtype == np.bool_
        self.x, self.keep, self.w = x, keep, w
        return w * x * keep

    def backward(self, g):
        return g * self.w * self.keep, np.sum(g * self.x * self.keep)
'''

WRONG = RIGHT.replace("(mask / p).ravel()", "mask.ravel()").replace(
    "np.sum(g * self.x * self.keep)", "np.sum(g * self.x)")


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as box:
        yield box


def _grade(tmp_path, text, sandbox):
    sheet = parse_sheet(textwrap.dedent(SPEC), file="data.yaml")
    path = tmp_path / "data.py"
    path.write_text(text)
    return sheet, grade(sheet, path, sandbox=sandbox)


def test_data_and_params_reach_the_student_and_right_answers_pass(tmp_path, sandbox):
    _, result = _grade(tmp_path, RIGHT, sandbox)
    assert result.score == result.max_score == 5, [e.message for e in result.exercises]


def test_wrong_answers_lose_their_points(tmp_path, sandbox):
    _, result = _grade(tmp_path, WRONG, sandbox)
    drop, scale = result.exercises
    assert drop.score == 0 and "factor" in drop.message
    assert scale.status == "fail" and "gradient of w" in scale.message


def test_validate_passes_and_no_mutant_touches_the_data(tmp_path, sandbox):
    sheet = parse_sheet(textwrap.dedent(SPEC), file="data.yaml")
    path = tmp_path / "data.py"
    path.write_text(RIGHT)
    report = validate(sheet, solution=path, sandbox=sandbox)
    assert report.passed, [str(f) for f in report.errors]
    names = {m.name for e in report.exercises for m in e.mutants}
    assert not any(n.startswith(("y taken", "mask taken", "keep")) for n in names)
    assert "backward w: sign flipped" in names
