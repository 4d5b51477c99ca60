"""Stateful objects: a micrograd-style scalar Value class and a module that holds its
weights, graded through their declared protocol: right answers pass, wrong ones fail."""

import textwrap

import pytest

from gradcheck.errors import SpecError
from gradcheck.grading.grader import grade
from gradcheck.grading.validate import validate
from gradcheck.sandbox import Sandbox
from gradcheck.spec import parse_sheet
from gradcheck.spec.objects import program

SPEC = """\
sheet: objects
title: Stateful objects
exercises:
  - id: value
    title: a scalar autograd Value
    points: 4
    kind: object
    student: Value
    protocol: value
    function: "tanh(a * b + c / 2) - relu(a) ** 2 + exp(-b)"
    inputs:
      a: {shape: [], domain: [0.2, 1.5]}
      b: {shape: []}
      c: {shape: []}
  - id: module
    title: an affine module holding its weights
    points: 3
    kind: object
    student: Affine
    protocol: {weights: {w: dw, b: db}}
    function: "x @ w + b"
    sizes: {N: [2, 3], D: [2, 4], M: [2, 3]}
    inputs:
      x: {shape: [N, D]}
      w: {shape: [D, M]}
      b: {shape: [M]}
"""

RIGHT = '''
import math
import numpy as np


class Value:
    def __init__(self, data, parents=(), backward=lambda: None):
        self.data, self.grad = data, 0.0
        self._parents, self._backward = parents, backward

    @staticmethod
    def _lift(other):
        return other if isinstance(other, Value) else Value(other)

    def __add__(self, other):
        other = self._lift(other)
        out = Value(self.data + other.data, (self, other))
        def backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = backward
        return out

    __radd__ = __add__

    def __mul__(self, other):
        other = self._lift(other)
        out = Value(self.data * other.data, (self, other))
        def backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = backward
        return out

    __rmul__ = __mul__

    def __pow__(self, k):
        out = Value(self.data ** k, (self,))
        def backward():
            self.grad += k * self.data ** (k - 1) * out.grad
        out._backward = backward
        return out

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __truediv__(self, other):
        return self * self._lift(other) ** -1

    def _unary(self, value, slope):
        out = Value(value, (self,))
        def backward():
            self.grad += slope * out.grad
        out._backward = backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        return self._unary(t, 1 - t * t)

    def relu(self):
        return self._unary(max(self.data, 0.0), float(self.data > 0))

    def exp(self):
        e = math.exp(self.data)
        return self._unary(e, e)

    def backward(self):
        order, seen = [], set()
        def visit(v):
            if id(v) not in seen:
                seen.add(id(v))
                for p in v._parents:
                    visit(p)
                order.append(v)
        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()


class Affine:
    def __init__(self, w, b):
        self.w, self.b = w, b

    def forward(self, x):
        self.x = x
        return x @ self.w + self.b

    def backward(self, dout):
        self.dw = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.w.T
'''


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as box:
        yield box


@pytest.fixture(scope="module")
def sheet():
    return parse_sheet(textwrap.dedent(SPEC), file="objects.yaml")


def _grade(tmp_path, sheet, sandbox, text):
    path = tmp_path / "objects.py"
    path.write_text(text)
    return {e.id: e for e in grade(sheet, path, sandbox=sandbox).exercises}


def test_right_objects_score_full_marks(tmp_path, sheet, sandbox):
    results = _grade(tmp_path, sheet, sandbox, RIGHT)
    assert {i: e.score for i, e in results.items()} == {"value": 4, "module": 3}, \
        {i: e.message for i, e in results.items()}


@pytest.mark.parametrize("old, new, exercise, words", [
    ("self.grad += other.data * out.grad", "self.grad = other.data * out.grad", "value",
     "a.grad"),                                  # gradients overwritten, not accumulated
    ("return self._unary(t, 1 - t * t)", "return self._unary(t, 1 - t)", "value", ".grad"),
    ("self.grad = 1.0\n", "self.grad = 0.0\n", "value", ".grad"),
    ("    def exp(self):", "    def exp_(self):", "value", "has no method exp()"),
    ("self.db = dout.sum(axis=0)", "self.db = dout", "module", "attribute db: wrong shape"),
    ("self.dw = self.x.T @ dout", "self.dw = (self.x.T @ dout).T", "module", "attribute dw"),
    ("return dout @ self.w.T", "return self.x", "module", "backward: dx"),
])
def test_typical_mistakes_fail(tmp_path, sheet, sandbox, old, new, exercise, words):
    assert old in RIGHT
    results = _grade(tmp_path, sheet, sandbox, RIGHT.replace(old, new))
    assert results[exercise].score < results[exercise].points
    assert words in results[exercise].message, results[exercise].message
    other = {"value": "module", "module": "value"}[exercise]
    assert results[other].score == results[other].points


def test_validate_passes(tmp_path, sheet, sandbox):
    path = tmp_path / "objects.py"
    path.write_text(RIGHT)
    report = validate(sheet, solution=path, sandbox=sandbox)
    assert report.passed, [str(f) for f in report.errors]
    verdicts = {(e.id, m.name): m.verdict for e in report.exercises for m in e.mutants}
    assert verdicts[("module", "dw: transposed")] == "caught"
    assert verdicts[("value", "da: sign flipped")] == "caught"


def test_value_program_and_its_limits():
    assert program("a", ["a"], {}) == [["add", 0, [0.0]]]
    assert program("2 * a - 3", ["a"], {}) == [["mul", [2.0], 0], ["sub", 1, [3.0]]]
    for text, words in (("sin(a)", "only"), ("a ** b", "constant power"), ("3 * 2", "depend")):
        with pytest.raises(SpecError, match=words):
            parse_sheet(textwrap.dedent(SPEC).replace(
                '"tanh(a * b + c / 2) - relu(a) ** 2 + exp(-b)"', f'"{text}"'),
                file="objects.yaml")


def test_the_template_is_not_implemented(tmp_path, sheet, sandbox):
    from gradcheck.spec.template import render_template

    results = _grade(tmp_path, sheet, sandbox, render_template(sheet))
    assert {e.status for e in results.values()} == {"not implemented"}
