"""Reductions beyond ``sum``/``mean`` (which live in ``engine.ops``): ``max`` and ``min`` along
axes, and the variance ``var`` (batch and layer normalisation).

At a tie (two entries share the maximum) ``max`` has no derivative: each tied entry gets an
equal share of the gradient, the mean of the one-sided rules, and the test-point sampling's kink
probe (one-sided differences, docs/spec-format.md) rejects such a point instead of grading it.
Where the tie persists around the point (the maximum of several zeros of a ReLU), the function
is differentiable and the shares sum to the right gradient.

Note: this module defines ``max`` and ``min``; it uses numpy's versions internally.
"""

from __future__ import annotations

import math

import numpy as np

from gradcheck.engine.node import Node, Operand, _lift, _make
from gradcheck.engine.ops import Axis, _axes, _expand
from gradcheck.errors import EvaluationError


def _extreme(x: Node, axis: Axis, keepdims: bool, what: str, fn) -> Node:
    axes = _axes(axis, x.ndim, what)
    if any(x.shape[a] == 0 for a in axes) or (not axes and x.size == 0):
        raise EvaluationError(f"{what}: cannot reduce an empty array (shape {x.shape})")
    kept = fn(x.value, axis=axes, keepdims=True)
    out = kept if keepdims else np.squeeze(kept, axis=axes)

    def backward(g):
        hit = x.value == kept
        share = hit / np.sum(hit, axis=axes, keepdims=True)  # ties split the gradient equally
        return (_expand(g, axes, keepdims) * share,)
    return _make(out, (x,), backward)


def max(x: Operand, axis: Axis = None, keepdims: bool = False) -> Node:
    """The largest entry along ``axis`` (``None``: all; an int or a tuple), like ``np.max``.
    The gradient goes to the maximal entry (shared equally at a tie).

    >>> from gradcheck.engine import backward, sum, variable
    >>> x = variable([[1.0, 5.0], [7.0, 2.0]])
    >>> max(x, axis=1).value
    array([5., 7.])
    >>> backward(sum(max(x, axis=1)), [x])[0]
    array([[0., 1.],
           [1., 0.]])
    """
    return _extreme(_lift(x), axis, keepdims, "max", np.max)


def min(x: Operand, axis: Axis = None, keepdims: bool = False) -> Node:
    """The smallest entry along ``axis``, like ``np.min``; the gradient goes to it.

    ``min([[1.0, 5.0], [7.0, 2.0]], axis=0).value`` is ``array([1., 2.])``.
    """
    return _extreme(_lift(x), axis, keepdims, "min", np.min)


def var(x: Operand, axis: Axis = None, keepdims: bool = False) -> Node:
    """The (population, ``ddof=0``) variance along ``axis``, like ``np.var``: the mean of the
    squared deviations from the mean, as batch and layer normalisation use it.

    ``var([1.0, 2.0, 3.0, 6.0]).value`` is ``array(3.5)``; the gradient is ``2 (x - mean) / n``.
    """
    x = _lift(x)
    axes = _axes(axis, x.ndim, "var")
    count = math.prod(x.shape[a] for a in axes)
    if count == 0:
        raise EvaluationError(f"var: cannot reduce an empty array (shape {x.shape})")
    deviation = x.value - np.sum(x.value, axis=axes, keepdims=True) / count
    out = np.sum(deviation**2, axis=axes, keepdims=keepdims) / count

    def backward(g):
        return (_expand(g, axes, keepdims) * (2.0 / count) * deviation,)
    return _make(out, (x,), backward)

