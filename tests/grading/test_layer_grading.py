"""Layer pairs (forward -> (out, cache), backward(dout, cache) -> gradients) and loss
functions (-> (loss, gradients)): right answers pass, typical mistakes fail with a message
that names them, and the cache never leaves the worker."""

import textwrap

import pytest

from gradcheck.grading.grader import grade
from gradcheck.grading.validate import validate
from gradcheck.sandbox import Sandbox
from gradcheck.spec import parse_sheet

SPEC = """\
sheet: layers_demo
title: Layer pairs
exercises:
  - id: affine
    title: affine layer
    points: 3
    kind: layer
    forward: affine_forward
    backward: affine_backward
    function: "x @ w + b"
    sizes: {N: [2, 4], D: [3, 5], M: [2, 3]}
    inputs:
      x: {shape: [N, D]}
      w: {shape: [D, M]}
      b: {shape: [M]}
  - id: mul
    title: product layer
    points: 2
    kind: layer
    forward: mul_forward
    backward: mul_backward
    function: "x * y * scale"
    inputs:
      x: {shape: [3, 2]}
      y: {shape: [3, 2]}
    params: {scale: 1.5}
  - id: cell
    title: a step with two outputs
    points: 2
    kind: layer
    forward: cell_forward
    backward: cell_backward
    function:
      h: "tanh(x @ w)"
      c: "2 * (x @ w) + c0"
    inputs:
      x: {shape: [2, 3]}
      c0: {shape: [2, 2]}
      w: {shape: [3, 2]}
    wrt: [x, w, c0]
  - id: sq
    title: squared loss
    points: 2
    kind: loss
    student: sq_loss
    function: "0.5 * sum((x - t) * (x - t) * m) / 4"
    inputs:
      x: {shape: [4, 2]}
      t: {shape: [4, 2]}
      m: {shape: [4, 2], dtype: mask, keep: 0.7}
    wrt: x
"""

RIGHT = '''
import numpy as np

def affine_forward(x, w, b):
    return x @ w + b, (x, w)

def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)

def mul_forward(x, y, scale):
    return x * y * scale, (x, y, scale)

def mul_backward(dout, cache):
    x, y, s = cache
    return dout * y * s, dout * x * s

def cell_forward(x, c0, w):
    a = x @ w
    return np.tanh(a), 2 * a + c0, (x, w, np.tanh(a))

def cell_backward(dh, dc, cache):
    x, w, h = cache
    da = dh * (1 - h ** 2) + 2 * dc
    return da @ w.T, x.T @ da, dc

def sq_loss(x, t, m):
    r = (x - t) * m
    return 0.5 * np.sum(r * (x - t)) / 4, r / 4
'''


def _wrong(old, new):
    assert old in RIGHT
    return RIGHT.replace(old, new)


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as box:
        yield box


@pytest.fixture(scope="module")
def sheet():
    return parse_sheet(textwrap.dedent(SPEC), file="layers_demo.yaml")


def _grade(tmp_path, sheet, sandbox, text):
    path = tmp_path / "layers_demo.py"
    path.write_text(text)
    result = grade(sheet, path, sandbox=sandbox)
    return {e.id: e for e in result.exercises}


def test_right_pairs_score_full_marks(tmp_path, sheet, sandbox):
    results = _grade(tmp_path, sheet, sandbox, RIGHT)
    assert {i: e.score for i, e in results.items()} == {"affine": 3, "mul": 2, "cell": 2,
                                                         "sq": 2}, \
        {i: e.message for i, e in results.items()}


@pytest.mark.parametrize("old, new, exercise, words", [
    ("return x @ w + b, (x, w)", "return x @ w + b", "affine", "), not (out, cache)"),
    ("x.T @ dout, dout.sum(axis=0)", "(x.T @ dout).T, dout.sum(axis=0)", "affine",
     "is the transpose of"),
    ("dout.sum(axis=0)", "dout", "affine", "backward: db: wrong shape"),
    ("return dout * y * s, dout * x * s", "return dout * x * s, dout * y * s", "mul",
     "gradients in the wrong order"),
    ("return dout * y * s, dout * x * s", "return y * s, x * s", "mul",
     "ignores its upstream gradient"),
    ("return np.tanh(a), 2 * a + c0, (x, w, np.tanh(a))", "return np.tanh(a), 2 * a + c0",
     "cell", "the cache is missing"),
    ("da = dh * (1 - h ** 2) + 2 * dc", "da = dh * (1 - h ** 2)", "cell", "backward: dx"),
    ("r / 4\n", "r\n", "sq", "factor"),
    ("return 0.5 * np.sum(r * (x - t)) / 4, r / 4", "return 0.5 * np.sum(r * (x - t)), r / 4",
     "sq", "loss"),
])
def test_typical_mistakes_lose_exactly_their_exercise(tmp_path, sheet, sandbox, old, new,
                                                      exercise, words):
    results = _grade(tmp_path, sheet, sandbox, _wrong(old, new))
    assert results[exercise].score == 0, results[exercise].message
    assert words in results[exercise].message
    assert all(e.score == e.points for i, e in results.items() if i != exercise), \
        {i: e.message for i, e in results.items()}


def test_missing_backward_is_not_implemented(tmp_path, sheet, sandbox):
    results = _grade(tmp_path, sheet, sandbox, _wrong("def affine_backward", "def other"))
    assert results["affine"].status == "not implemented"
    assert "affine_backward" in results["affine"].message


def test_validate_passes_and_catches_the_layer_mutants(tmp_path, sheet, sandbox):
    path = tmp_path / "layers_demo.py"
    path.write_text(RIGHT)
    report = validate(sheet, solution=path, sandbox=sandbox)
    assert report.passed, [str(f) for f in report.errors]
    verdicts = {(e.id, m.name): m.verdict for e in report.exercises for m in e.mutants}
    assert verdicts[("affine", "dw: transposed")] == "caught"
    assert verdicts[("mul", "gradients in the wrong order")] == "caught"
    assert verdicts[("cell", "dx: ignores upstream")] == "caught"
    assert verdicts[("sq", "loss: factor 2")] == "caught"


def test_the_template_is_not_implemented_everywhere(tmp_path, sheet, sandbox):
    from gradcheck.spec.template import render_template

    results = _grade(tmp_path, sheet, sandbox, render_template(sheet))
    assert {e.status for e in results.values()} == {"not implemented"}


def test_a_rigged_tuple_from_forward_is_read_by_its_real_items(tmp_path, sheet, sandbox):
    rigged = RIGHT + '''

class Rigged(tuple):
    def __iter__(self):
        raise RuntimeError("no")

    def __len__(self):
        raise RuntimeError("no")

def affine_forward(x, w, b):
    return Rigged((x @ w + b, (x, w)))
'''
    results = _grade(tmp_path, sheet, sandbox, rigged)
    assert results["affine"].score == results["affine"].points, results["affine"].message
