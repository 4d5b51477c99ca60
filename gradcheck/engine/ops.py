"""The engine's functions: elementwise maths, reductions, linear algebra and shape ops.

Each op computes its value with numpy and passes ``_make`` the backward rule beside it, as in
``engine.node``. ``gradcheck.engine`` re-exports all of them. Conventions at points without a
derivative (documented, and what central differences see where they are symmetric):
``abs'(0) = 0``, ``relu'(0) = 0``, ``maximum``/``minimum`` split the gradient 1/2 : 1/2 between
tied operands, ``norm`` has gradient 0 at the zero vector.

Note: this module defines ``sum`` and ``abs``; it uses numpy's versions internally.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from gradcheck.engine.node import (
    Node,
    Operand,
    _lift_number,
    _make,
    broadcast_shape,
    check_size,
    matmul,
    mul,
    unbroadcast,
)
from gradcheck.errors import EvaluationError

Axis = int | Sequence[int] | None

# --- elementwise ------------------------------------------------------------------------------


def exp(x: Operand) -> Node:
    """``e**x`` elementwise. ``exp(0.0).value`` is ``array(1.)``."""
    x = _lift_number(x)
    out = np.exp(x.value)
    return _make(out, (x,), lambda g: (g * out,))


def log(x: Operand) -> Node:
    """Natural logarithm elementwise. ``log(1.0).value`` is ``array(0.)``."""
    x = _lift_number(x)
    return _make(np.log(x.value), (x,), lambda g: (g / x.value,))


def log1p(x: Operand) -> Node:
    """``log(1 + x)``, accurate for small x. ``log1p(0.0).value`` is ``array(0.)``."""
    x = _lift_number(x)
    return _make(np.log1p(x.value), (x,), lambda g: (g / (1.0 + x.value),))


def sqrt(x: Operand) -> Node:
    """Square root elementwise. ``sqrt(4.0).value`` is ``array(2.)``."""
    x = _lift_number(x)
    out = np.sqrt(x.value)
    return _make(out, (x,), lambda g: (g * 0.5 / out,))


def square(x: Operand) -> Node:
    """``x**2`` elementwise. ``square(3.0).value`` is ``array(9.)``."""
    x = _lift_number(x)
    return _make(x.value**2, (x,), lambda g: (g * 2.0 * x.value,))


def sin(x: Operand) -> Node:
    """Sine elementwise. ``sin(0.0).value`` is ``array(0.)``."""
    x = _lift_number(x)
    return _make(np.sin(x.value), (x,), lambda g: (g * np.cos(x.value),))


def cos(x: Operand) -> Node:
    """Cosine elementwise. ``cos(0.0).value`` is ``array(1.)``."""
    x = _lift_number(x)
    return _make(np.cos(x.value), (x,), lambda g: (-g * np.sin(x.value),))


def tan(x: Operand) -> Node:
    """Tangent elementwise. ``tan(0.0).value`` is ``array(0.)``."""
    x = _lift_number(x)
    out = np.tan(x.value)
    return _make(out, (x,), lambda g: (g * (1.0 + out**2),))


def arctan(x: Operand) -> Node:
    """Inverse tangent elementwise. ``arctan(0.0).value`` is ``array(0.)``."""
    x = _lift_number(x)
    return _make(np.arctan(x.value), (x,), lambda g: (g / (1.0 + x.value**2),))


def sinh(x: Operand) -> Node:
    """Hyperbolic sine elementwise. ``sinh(0.0).value`` is ``array(0.)``."""
    x = _lift_number(x)
    return _make(np.sinh(x.value), (x,), lambda g: (g * np.cosh(x.value),))


def cosh(x: Operand) -> Node:
    """Hyperbolic cosine elementwise. ``cosh(0.0).value`` is ``array(1.)``."""
    x = _lift_number(x)
    return _make(np.cosh(x.value), (x,), lambda g: (g * np.sinh(x.value),))


def tanh(x: Operand) -> Node:
    """Hyperbolic tangent elementwise. ``tanh(0.0).value`` is ``array(0.)``."""
    x = _lift_number(x)
    out = np.tanh(x.value)
    return _make(out, (x,), lambda g: (g * (1.0 - out**2),))


def sigmoid(x: Operand) -> Node:
    """Logistic ``1 / (1 + e**-x)``, without overflow for large ``|x|``.

    ``sigmoid(0.0).value`` is ``array(0.5)``; the derivative is ``s * (1 - s)``.
    """
    x = _lift_number(x)
    small = np.exp(-np.abs(x.value))  # e**-|x| never overflows
    out = np.where(x.value >= 0, 1.0 / (1.0 + small), small / (1.0 + small))
    return _make(out, (x,), lambda g: (g * out * (1.0 - out),))


def relu(x: Operand) -> Node:
    """``max(x, 0)`` elementwise; derivative 1 where x > 0, else 0 (0 at x = 0).

    ``relu([-1.0, 2.0]).value`` is ``array([0., 2.])``.
    """
    x = _lift_number(x)
    return _make(np.maximum(x.value, 0.0), (x,), lambda g: (g * (x.value > 0),))


def abs(x: Operand) -> Node:
    """``|x|`` elementwise; derivative ``sign(x)`` (0 at x = 0).

    ``abs(-2.0).value`` is ``array(2.)``.
    """
    x = _lift_number(x)
    return _make(np.abs(x.value), (x,), lambda g: (g * np.sign(x.value),))


def _pick(a: Node, b: Node, first: np.ndarray, what: str) -> Node:
    """The elementwise choice between ``a`` (where ``first``) and ``b``; ties split 1/2 : 1/2."""
    broadcast_shape(what, a.shape, b.shape)
    tie = a.value == b.value
    share = np.where(tie, 0.5, first.astype(np.float64))

    def backward(g):
        return unbroadcast(g * share, a.shape), unbroadcast(g * (1.0 - share), b.shape)
    return _make(np.where(first | tie, a.value, b.value), (a, b), backward)


def maximum(a: Operand, b: Operand) -> Node:
    """Elementwise maximum with broadcasting; where ``a == b`` each gets half the gradient.

    ``maximum([1.0, 5.0], 3.0).value`` is ``array([3., 5.])``.
    """
    a, b = _lift_number(a), _lift_number(b)
    return _pick(a, b, a.value > b.value, "maximum")


def minimum(a: Operand, b: Operand) -> Node:
    """Elementwise minimum with broadcasting; where ``a == b`` each gets half the gradient.

    ``minimum([1.0, 5.0], 3.0).value`` is ``array([1., 3.])``.
    """
    a, b = _lift_number(a), _lift_number(b)
    return _pick(a, b, a.value < b.value, "minimum")


# --- reductions -------------------------------------------------------------------------------


def _axes(axis: Axis, ndim: int, what: str) -> tuple[int, ...]:
    """``axis`` as a sorted tuple of non-negative axes (``None`` = all), or EvaluationError."""
    if axis is None:
        return tuple(range(ndim))
    items = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    result = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, np.integer)):
            raise EvaluationError(f"{what}: axis must be an integer or a tuple of integers, "
                                  f"got {axis!r}")
        if not -ndim <= item < ndim:
            raise EvaluationError(f"{what}: axis {item} is out of range for an array of "
                                  f"{ndim} dimension(s)")
        result.append(int(item) % ndim)
    if len(set(result)) != len(result):
        raise EvaluationError(f"{what}: axis {axis!r} repeats an axis")
    return tuple(sorted(result))


def _expand(g: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Give a reduced gradient its reduced axes back (as length 1), for broadcasting."""
    return g if keepdims else np.expand_dims(g, axes)


def sum(x: Operand, axis: Axis = None, keepdims: bool = False) -> Node:
    """Sum over ``axis`` (``None``: all; an int or a tuple), like ``np.sum``.

    ``sum([[1.0, 2.0], [3.0, 4.0]], axis=0).value`` is ``array([4., 6.])``.
    """
    x = _lift_number(x)
    axes = _axes(axis, x.ndim, "sum")
    out = np.sum(x.value, axis=axes, keepdims=keepdims)
    return _make(out, (x,), lambda g: (np.broadcast_to(_expand(g, axes, keepdims), x.shape),))


def mean(x: Operand, axis: Axis = None, keepdims: bool = False) -> Node:
    """Mean over ``axis`` (``None``: all; an int or a tuple), like ``np.mean``.

    ``mean([1.0, 2.0, 6.0]).value`` is ``array(3.)``.
    """
    x = _lift_number(x)
    axes = _axes(axis, x.ndim, "mean")
    count = math.prod(x.shape[a] for a in axes)
    out = np.sum(x.value, axis=axes, keepdims=keepdims) / count

    def backward(g):
        return (np.broadcast_to(_expand(g, axes, keepdims) / count, x.shape),)
    return _make(out, (x,), backward)


def logsumexp(x: Operand, axis: Axis = None, keepdims: bool = False) -> Node:
    """``log(sum(exp(x), axis))`` computed stably (the maximum is shifted out first).

    ``logsumexp([1000.0, 1000.0]).value`` is ``array(1000.69314718)``; the gradient is softmax.
    """
    x = _lift_number(x)
    axes = _axes(axis, x.ndim, "logsumexp")
    shift = np.max(x.value, axis=axes, keepdims=True, initial=-np.inf)  # -inf if empty
    shift = np.where(np.isfinite(shift), shift, 0.0)
    kept = np.log(np.sum(np.exp(x.value - shift), axis=axes, keepdims=True)) + shift
    out = kept if keepdims else np.squeeze(kept, axis=axes)
    return _make(out, (x,), lambda g: (_expand(g, axes, keepdims) * np.exp(x.value - kept),))


def softmax(x: Operand, axis: Axis = -1) -> Node:
    """``exp(x) / sum(exp(x), axis)`` computed stably; Jacobian ``diag(s) - s s^T``.

    ``softmax([0.0, 0.0]).value`` is ``array([0.5, 0.5])``.
    """
    x = _lift_number(x)
    axes = _axes(axis, x.ndim, "softmax")
    e = np.exp(x.value - np.max(x.value, axis=axes, keepdims=True, initial=-np.inf))
    out = e / np.sum(e, axis=axes, keepdims=True)
    return _make(out, (x,), lambda g: (out * (g - np.sum(g * out, axis=axes, keepdims=True)),))


def norm(x: Operand, axis: Axis = None, keepdims: bool = False) -> Node:
    """Euclidean norm of a vector, Frobenius norm of a matrix, or 2-norms along ``axis``.

    The gradient is ``x / norm(x)``, taken as 0 where the norm is 0.
    ``norm([3.0, 4.0]).value`` is ``array(5.)``.
    """
    x = _lift_number(x)
    axes = _axes(axis, x.ndim, "norm")
    kept = np.sqrt(np.sum(x.value**2, axis=axes, keepdims=True))
    out = kept if keepdims else np.squeeze(kept, axis=axes)

    def backward(g):
        safe = np.where(kept > 0, kept, 1.0)
        return (_expand(g, axes, keepdims) * np.where(kept > 0, x.value / safe, 0.0),)
    return _make(out, (x,), backward)


# --- linear algebra ---------------------------------------------------------------------------


def dot(a: Operand, b: Operand) -> Node:
    """``np.dot`` for scalars, vectors and matrices (inner product of two vectors).

    ``dot([1.0, 2.0], [3.0, 4.0]).value`` is ``array(11.)``.
    """
    a, b = _lift_number(a), _lift_number(b)
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    if a.ndim > 2 or b.ndim > 2:
        raise EvaluationError(f"dot: shapes {a.shape} and {b.shape}: dot takes vectors and "
                              "matrices; use matmul (@) for stacks of matrices")
    return matmul(a, b)


def outer(a: Operand, b: Operand) -> Node:
    """Outer product ``a_i b_j`` of the flattened operands, like ``np.outer``.

    ``outer([1.0, 2.0], [1.0, 10.0]).value`` is ``array([[ 1., 10.], [ 2., 20.]])``.
    """
    a, b = _lift_number(a), _lift_number(b)
    check_size((a.size, b.size), "outer")
    av, bv = a.value.ravel(), b.value.ravel()

    def backward(g):
        return (g @ bv).reshape(a.shape), (g.T @ av).reshape(b.shape)
    return _make(np.outer(av, bv), (a, b), backward)


def diag(x: Operand) -> Node:
    """Like ``np.diag``: a vector becomes a diagonal matrix, a matrix gives its diagonal.

    ``diag([1.0, 2.0]).value`` is ``array([[1., 0.], [0., 2.]])``.
    """
    x = _lift_number(x)
    if x.ndim == 1:
        check_size((x.size, x.size), "diag")
        return _make(np.diag(x.value), (x,), lambda g: (np.diagonal(g).copy(),))
    if x.ndim != 2:
        raise EvaluationError(f"diag: expects a vector or a matrix, got shape {x.shape}")
    k = np.arange(min(x.shape))

    def backward(g):
        grad = np.zeros(x.shape)
        grad[k, k] = g
        return (grad,)
    return _make(x.value[k, k], (x,), backward)


# --- shapes -----------------------------------------------------------------------------------


def reshape(x: Operand, shape: int | Sequence[int]) -> Node:
    """``x`` with a new shape of the same size (one entry may be -1), like ``np.reshape``.

    ``reshape([1.0, 2.0, 3.0, 4.0], (2, 2)).shape`` is ``(2, 2)``.
    """
    x = _lift_number(x)
    target = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    try:
        out = np.reshape(x.value, target)
    except (ValueError, TypeError) as exc:
        raise EvaluationError(f"reshape: cannot reshape shape {x.shape} ({x.size} elements) "
                              f"into {target}: {exc}") from None
    return _make(out, (x,), lambda g: (np.reshape(g, x.shape),))


def _join_axis(axis: int, ndim: int, what: str) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise EvaluationError(f"{what}: axis must be an integer, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise EvaluationError(f"{what}: axis {axis} is out of range for the result's "
                              f"{ndim} dimension(s)")
    return int(axis) % ndim


def _operands(arrays: Sequence[Operand], what: str) -> list[Node]:
    if isinstance(arrays, Node) or not isinstance(arrays, (list, tuple)) or not arrays:
        raise EvaluationError(f"{what}: expects a non-empty list of arrays")
    return [_lift_number(a) for a in arrays]


def stack(arrays: Sequence[Operand], axis: int = 0) -> Node:
    """Stack arrays of one shape along a new axis, like ``np.stack``.

    ``stack([1.0, 2.0]).value`` is ``array([1., 2.])``.
    """
    nodes = _operands(arrays, "stack")
    shapes = {n.shape for n in nodes}
    if len(shapes) > 1:
        raise EvaluationError(f"stack: all arrays need the same shape, got {sorted(shapes)}")
    ax = _join_axis(axis, nodes[0].ndim + 1, "stack")
    check_size((len(nodes),) + nodes[0].shape, "stack")
    out = np.stack([n.value for n in nodes], axis=ax)
    return _make(out, tuple(nodes), lambda g: tuple(np.take(g, i, axis=ax)
                                                   for i in range(len(nodes))))


def concatenate(arrays: Sequence[Operand], axis: int = 0) -> Node:
    """Join arrays along an existing axis, like ``np.concatenate``.

    ``concatenate([[1.0], [2.0, 3.0]]).value`` is ``array([1., 2., 3.])``.
    """
    nodes = _operands(arrays, "concatenate")
    ndim = nodes[0].ndim
    if ndim == 0 or any(n.ndim != ndim for n in nodes):
        raise EvaluationError("concatenate: arrays need the same number (at least one) of "
                              f"dimensions, got shapes {[n.shape for n in nodes]}")
    ax = _join_axis(axis, ndim, "concatenate")
    check_size((np.sum([n.size for n in nodes]),), "concatenate")
    try:
        out = np.concatenate([n.value for n in nodes], axis=ax)
    except ValueError as exc:
        raise EvaluationError(f"concatenate: shapes {[n.shape for n in nodes]} do not fit "
                              f"along axis {axis}: {exc}") from None
    cuts = np.cumsum([n.shape[ax] for n in nodes])[:-1]
    return _make(out, tuple(nodes), lambda g: tuple(np.split(g, cuts, axis=ax)))
