"""Grading layer pairs and loss functions: the worker request for one test point, and the
diagnosis of gradients returned in the wrong order.

A layer's request runs ``X_forward`` and ``X_backward`` in one worker call, so the cache never
leaves the worker (``sandbox/child/layer.py``); the reply is the outputs, then the gradients.
A loss function is an ordinary call that returns ``(loss, d1, ...)``.

>>> ordered_names(type("E", (), {"wrt": ("x", "w", "b")})())
'(dx, dw, db)'
"""

from __future__ import annotations

import dataclasses

import numpy as np

from gradcheck import compare
from gradcheck.results import FAIL, LAYER, LOSS, NODE, OBJECT, CheckResult, PointResult
from gradcheck.sandbox import Request
from gradcheck.spec import Exercise
from gradcheck.spec.layer import split, style
from gradcheck.spec.sampling import TestPoint

REORDERED = (LAYER, LOSS, OBJECT, NODE)   # the kinds whose gradients reorder() checks


def request(exercise: Exercise, point: TestPoint, timeout: float) -> Request:
    """The worker request that answers ``point`` of a layer or loss exercise."""
    if exercise.kind == LAYER:
        shapes = [np.shape(e) for e in point.expected[:len(exercise.outputs)]]
        return Request.layer(exercise.student, exercise.backward, point.args(),
                             split(point.grad_output, shapes), grads=len(exercise.wrt),
                             names=exercise.output_names, params=exercise.param_values(),
                             timeout=timeout, grad_names=[f"d{n}" for n in exercise.wrt])
    return Request.call(exercise.student, point.args(), arity=len(exercise.wrt) + 1,
                        timeout=timeout, params=exercise.param_values())


def first_gradient(exercise: Exercise) -> int:
    """Index of the first gradient among a point's answers (after the forward values)."""
    return len(exercise.outputs) if style(exercise) == LAYER else 1


def ordered_names(exercise: Exercise) -> str:
    """The gradients in the order the student returns them, as in the template."""
    return "(" + ", ".join(f"d{n}" for n in exercise.wrt) + ")"


def reorder(exercise: Exercise, point: TestPoint, answers: tuple[np.ndarray, ...],
            result: PointResult) -> PointResult:
    """A failed point whose wrong gradients are right gradients in the wrong places (same
    shapes, values of another input's gradient) says so instead of "wrong values" (layer,
    loss and object exercises, and a node's backward)."""
    if result.status != FAIL:
        return result
    first = first_gradient(exercise)
    moved: dict[int, int] = {}
    for k in range(first, len(point.expected)):
        if not result.checks[k].passed:
            j = moved_from(exercise, point, k, answers[k])
            if j is not None:
                moved[k] = j
    if not moved:
        return result
    if exercise.kind == NODE:   # a node's backward: one gradient per input of forward
        names = exercise.differentiable   # as the grader asks for them (no data inputs)
        gradient = "the gradient of {}".format
        order = f"return one gradient per input of forward, in its order ({', '.join(names)})"
    else:
        names, gradient = exercise.wrt, "d{}".format
        order = f"return {ordered_names(exercise)} in this order"
    places = "; ".join(f"in the place of {gradient(names[k - first])} it returned "
                       f"{gradient(names[j - first])}" for k, j in moved.items())
    diagnosis = f"gradients in the wrong order: {places} — {order}"
    checks = tuple(dataclasses.replace(c, code="order", diagnosis=diagnosis) if k in moved
                   else c for k, c in enumerate(result.checks))
    failing = next(c for c in checks if not c.passed)
    return dataclasses.replace(result, checks=checks,
                               message=f"{failing.label}: {diagnosis}")


def moved_from(exercise: Exercise, point: TestPoint, k: int, received) -> int | None:
    """The other gradient whose value answer ``k`` is (a gradient in the wrong place), or
    None; only for the kinds :func:`reorder` diagnoses, and only for gradients."""
    first = first_gradient(exercise)
    if exercise.kind not in REORDERED or k < first:
        return None
    for j in range(first, len(point.expected)):
        if j != k and _same(point.expected[j], received, exercise.tolerance):
            return j
    return None


def _same(expected: np.ndarray, received: np.ndarray, tol) -> bool:
    if np.shape(expected) != np.shape(received):
        return False
    check: CheckResult = compare.compare(expected, received, rtol=tol.rtol, atol=tol.atol)
    return check.passed

