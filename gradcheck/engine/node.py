"""The derivative graph: ``Node``, the one ``unbroadcast`` helper, and the ops behind Python's
operators (``+ - * / ** @``, unary minus, ``.T``; indexing lives in ``engine.index``).

Every op lifts its operands to nodes, computes its value with numpy, and hands ``_make`` a
``backward`` closure that maps the gradient of the output to one gradient per parent (same shape
as that parent). Ops whose operands are all constants record nothing: their result is a constant.
Integer and boolean arrays (class labels, index arrays, masks) are *data*: constants that keep
their dtype, so they can index; arithmetic treats a mask as 0/1.
``gradcheck.engine`` re-exports everything public here; read that module first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from gradcheck.errors import EvaluationError

MAX_ELEMENTS = 10**7
"""Largest array an op may create; ops check the result's size before allocating it."""

Backward = Callable[[np.ndarray], Sequence[np.ndarray | None]]


class Node:
    """An array in a derivative graph, with the rule that sends a gradient to its parents.

    Values are float64, except data: a constant built from a numpy integer or boolean array
    keeps that dtype (int64 or bool), and so do results computed from data alone.

    Build nodes with :func:`variable` (differentiable) or :func:`constant`; combine them with
    Python operators and the functions of ``gradcheck.engine``. Plain numbers and arrays mix in.

    >>> x = variable([1.0, 2.0])
    >>> (2 * x + 1).value
    array([3., 5.])
    """

    __slots__ = ("value", "parents", "backward_fn", "requires_grad")
    # numpy defers to our reflected operators, so ``ndarray + Node`` is a Node, not an object array.
    __array_ufunc__ = None

    def __init__(self, value: np.ndarray, parents: tuple[Node, ...] = (),
                 backward_fn: Backward | None = None, requires_grad: bool = False):
        value.flags.writeable = False
        self.value = value
        self.parents = parents
        self.backward_fn = backward_fn
        self.requires_grad = requires_grad

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def size(self) -> int:
        return self.value.size

    @property
    def T(self) -> Node:
        return transpose(self)

    def __repr__(self) -> str:
        kind = "variable" if self.requires_grad and not self.parents else (
            "node" if self.requires_grad else "constant")
        return f"Node({kind}, shape={self.shape}, value={np.array2string(self.value, threshold=8)})"

    def __iter__(self):
        raise TypeError("a Node is not iterable; index it (x[0]) instead")

    def __add__(self, other: Operand) -> Node:
        return add(self, other)

    def __radd__(self, other: Operand) -> Node:
        return add(other, self)

    def __sub__(self, other: Operand) -> Node:
        return sub(self, other)

    def __rsub__(self, other: Operand) -> Node:
        return sub(other, self)

    def __mul__(self, other: Operand) -> Node:
        return mul(self, other)

    def __rmul__(self, other: Operand) -> Node:
        return mul(other, self)

    def __truediv__(self, other: Operand) -> Node:
        return div(self, other)

    def __rtruediv__(self, other: Operand) -> Node:
        return div(other, self)

    def __pow__(self, other: Operand) -> Node:
        return power(self, other)

    def __rpow__(self, other: Operand) -> Node:
        return power(other, self)

    def __matmul__(self, other: Operand) -> Node:
        return matmul(self, other)

    def __rmatmul__(self, other: Operand) -> Node:
        return matmul(other, self)

    def __neg__(self) -> Node:
        return neg(self)

    def __pos__(self) -> Node:
        return self

    # ``x[index]`` is ``engine.index.getitem``, which installs itself here when the engine
    # package loads (index.py builds on this module, so this module cannot import it).
    __getitem__: Callable[[Node, Any], Node]


Operand = Node | ArrayLike


def _as_float_array(value: ArrayLike, what: str) -> np.ndarray:
    if isinstance(value, Node):
        return np.array(value.value)
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise EvaluationError(f"{what} must be real numbers: {exc}") from None
    check_size(array.shape, what)
    return array


def variable(value: ArrayLike) -> Node:
    """A differentiable leaf holding a float64 copy of ``value`` (a float becomes a 0-d array).

    >>> variable(2.0).shape
    ()
    """
    return Node(_as_float_array(value, "a variable"), requires_grad=True)


def is_data(value: Any) -> bool:
    """Whether ``value`` is a numpy integer or boolean array or scalar: data, not a number to
    differentiate (class labels, index arrays, masks).

    >>> is_data(np.array([0, 2])), is_data(np.array([0.5])), is_data(3)
    (True, False, False)
    """
    return isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "biu"


def constant(value: ArrayLike) -> Node:
    """A leaf that gradients do not flow into: a float64 copy of ``value``, or for a numpy
    integer or boolean array (data: labels, indices, masks) an int64 or bool copy.

    >>> constant([1, 2]).value
    array([1., 2.])
    >>> constant(np.array([1, 2])).value
    array([1, 2])
    """
    if is_data(value):
        check_size(np.shape(value), "a constant")
        try:
            return Node(np.array(value, dtype=bool if value.dtype.kind == "b" else np.int64))
        except OverflowError:
            raise EvaluationError("integer data must fit in 64 bits") from None
    return Node(_as_float_array(value, "a constant"))


def _lift(x: Operand) -> Node:
    return x if isinstance(x, Node) else constant(x)


def _make(value: ArrayLike, parents: tuple[Node, ...], backward: Backward) -> Node:
    for parent in parents:   # a loop, not any(): this runs for every op of every evaluation
        if parent.requires_grad:
            return Node(np.asarray(value, dtype=np.float64), parents, backward,
                        requires_grad=True)
    if type(value) is not np.float64 and is_data(value):  # from data alone: stays data
        return constant(value)
    return Node(np.asarray(value, dtype=np.float64))


def _lift_number(x: Operand) -> Node:
    """``_lift``, with a mask as 0/1 integers (numpy adds booleans as logical or and computes
    ``exp`` of booleans in float16)."""
    x = _lift(x)
    return Node(x.value.astype(np.int64)) if x.value.dtype.kind == "b" else x


def check_size(shape: tuple[int, ...], what: str) -> None:
    """Raise ``EvaluationError`` if an array of ``shape`` would exceed ``MAX_ELEMENTS``.

    >>> check_size((3, 4), "outer")
    """
    elements = math.prod(shape)
    if elements > MAX_ELEMENTS:
        raise EvaluationError(f"{what}: the result would have shape {shape} = {elements} "
                              f"elements, more than the limit of {MAX_ELEMENTS}")


def broadcast_shape(what: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape numpy broadcasting gives ``shapes``, or a readable ``EvaluationError``.

    >>> broadcast_shape("add", (3, 1), (1, 4))
    (3, 4)
    """
    first = shapes[0]
    for shape in shapes[1:]:
        if shape != first and shape != ():
            break
    else:
        return first  # the common case, without numpy's general (slow) rule
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        listed = " and ".join(str(s) for s in shapes)
        raise EvaluationError(f"{what}: shapes {listed} do not broadcast together") from None
    check_size(shape, what)
    return shape


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``: the backward rule of numpy broadcasting.

    >>> unbroadcast(np.ones((3, 4)), (1, 4))
    array([[3., 3., 3., 3.]])
    """
    if grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def add(a: Operand, b: Operand) -> Node:
    """``a + b`` with broadcasting.

    >>> add(variable([1.0, 2.0]), 1).value
    array([2., 3.])
    """
    a, b = _lift_number(a), _lift_number(b)
    broadcast_shape("add", a.shape, b.shape)

    def backward(g):
        return unbroadcast(g, a.shape), unbroadcast(g, b.shape)
    return _make(a.value + b.value, (a, b), backward)


def sub(a: Operand, b: Operand) -> Node:
    """``a - b`` with broadcasting.

    >>> sub(1, variable(3.0)).value
    array(-2.)
    """
    a, b = _lift_number(a), _lift_number(b)
    broadcast_shape("subtract", a.shape, b.shape)

    def backward(g):
        return unbroadcast(g, a.shape), unbroadcast(-g, b.shape)
    return _make(a.value - b.value, (a, b), backward)


def mul(a: Operand, b: Operand) -> Node:
    """``a * b`` elementwise, with broadcasting.

    >>> mul(variable([1.0, 2.0]), [[1.0], [3.0]]).shape
    (2, 2)
    """
    a, b = _lift(a), _lift(b)
    broadcast_shape("multiply", a.shape, b.shape)

    def backward(g):
        return unbroadcast(g * b.value, a.shape), unbroadcast(g * a.value, b.shape)
    return _make(a.value * b.value, (a, b), backward)


def div(a: Operand, b: Operand) -> Node:
    """``a / b`` elementwise, with broadcasting.

    >>> div(1, variable(4.0)).value
    array(0.25)
    """
    a, b = _lift(a), _lift(b)
    broadcast_shape("divide", a.shape, b.shape)
    out = a.value / b.value

    def backward(g):
        return unbroadcast(g / b.value, a.shape), unbroadcast(-g * out / b.value, b.shape)
    return _make(out, (a, b), backward)


def power(a: Operand, b: Operand) -> Node:
    """``a ** b`` elementwise: node**constant, constant**node and node**node.

    The derivative with respect to the exponent, ``a**b * log(a)``, is 0 where ``a == 0`` and
    NaN where ``a < 0`` (no real derivative there).

    >>> power(variable(3.0), 2).value
    array(9.)
    """
    a, b = _lift(a), _lift(b)
    broadcast_shape("power", a.shape, b.shape)
    out = a.value ** b.value

    def backward(g):
        ga = gb = None
        if a.requires_grad:
            with np.errstate(divide="ignore", invalid="ignore"):  # 0 * 0**-1 is masked out
                slope = np.where(b.value == 0, 0.0, b.value * a.value ** (b.value - 1))
            ga = unbroadcast(g * slope, a.shape)
        if b.requires_grad:
            positive = a.value > 0
            log_a = np.log(np.where(positive, a.value, 1.0))
            log_a = np.where(positive, log_a, np.where(a.value == 0, 0.0, np.nan))
            gb = unbroadcast(g * out * log_a, b.shape)
        return ga, gb
    return _make(out, (a, b), backward)


def neg(x: Operand) -> Node:
    """``-x``.

    >>> neg(variable([1.0, -2.0])).value
    array([-1.,  2.])
    """
    x = _lift_number(x)
    return _make(-x.value, (x,), lambda g: (-g,))


def _matmul_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    if not a or not b:
        raise EvaluationError(f"matmul: shapes {a} and {b}: both operands need at least one "
                              "dimension (use * to multiply by a scalar)")
    inner = b[0] if len(b) == 1 else b[-2]
    if a[-1] != inner:
        raise EvaluationError(f"matmul: shapes {a} and {b} do not align "
                              f"({a[-1]} columns against {inner} rows)")
    batch = broadcast_shape("matmul", a[:-2], b[:-2])
    shape = batch + a[-2:-1] + (b[-1:] if len(b) > 1 else ())
    check_size(shape, "matmul")
    return shape


def matmul(a: Operand, b: Operand) -> Node:
    """``a @ b`` as numpy does it: matrix-matrix, matrix-vector, vector-matrix, vector-vector
    (a 0-d result) and stacks of matrices with broadcasting.

    >>> matmul(variable([[1.0, 2.0]]), [3.0, 4.0]).value
    array([11.])
    """
    a, b = _lift_number(a), _lift_number(b)
    _matmul_shape(a.shape, b.shape)

    def backward(g):
        if a.ndim == 1 and b.ndim == 1:
            return g * b.value, g * a.value
        # Promote vectors to matrices as numpy does, apply the matrix rule, then drop the axis.
        av = a.value[None, :] if a.ndim == 1 else a.value
        bv = b.value[:, None] if b.ndim == 1 else b.value
        g2 = np.expand_dims(g, -2) if a.ndim == 1 else g
        g2 = np.expand_dims(g2, -1) if b.ndim == 1 else g2
        ga = gb = None
        if a.requires_grad:
            ga = g2 @ np.swapaxes(bv, -1, -2)
            ga = unbroadcast(ga[..., 0, :] if a.ndim == 1 else ga, a.shape)
        if b.requires_grad:
            gb = np.swapaxes(av, -1, -2) @ g2
            gb = unbroadcast(gb[..., 0] if b.ndim == 1 else gb, b.shape)
        return ga, gb
    return _make(a.value @ b.value, (a, b), backward)


def transpose(x: Operand, axes: Sequence[int] | None = None) -> Node:
    """Reverse (or permute by ``axes``) the axes of ``x``, like ``np.transpose``; ``x.T`` too.

    >>> transpose(variable(np.zeros((2, 3)))).shape
    (3, 2)
    """
    x = _lift(x)
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    else:
        given = tuple(axes) if isinstance(axes, (tuple, list)) else (axes,)
        if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in given):
            raise EvaluationError(f"transpose: axes must be integers, not {given}")
        given = tuple(int(a) for a in given)
        axes = tuple(a % x.ndim for a in given if -x.ndim <= a < x.ndim)
        if len(axes) != len(given) or sorted(axes) != list(range(x.ndim)):
            raise EvaluationError(f"transpose: axes {given} are not a permutation of the "
                                  f"{x.ndim} axes of shape {x.shape}")
    inverse = tuple(np.argsort(axes))
    return _make(np.transpose(x.value, axes), (x,), lambda g: (np.transpose(g, inverse),))
