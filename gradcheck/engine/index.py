"""Indexing and selection: ``getitem`` (``x[...]``, also with integer index arrays and boolean
masks held in nodes), ``arange``, ``where``, and the integer arithmetic of sizes and indices
(``floor_divide``, ``remainder``), which has no derivative.

Index arrays and masks are data (``engine.node.is_data``): they select entries and receive no
gradient. A float index is accepted only as a single whole number (``x[2.0]`` is ``x[2]``): sizes
computed with ``*`` and ``/`` are floats. Index arrays are integer data; ``//`` and ``%`` of
integer data by whole numbers stay integers (``arange(N) // 2``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gradcheck.engine.node import (
    Node,
    Operand,
    _lift,
    _make,
    broadcast_shape,
    check_size,
    is_data,
    unbroadcast,
)
from gradcheck.errors import EvaluationError


def as_integer(value: Any, what: str) -> int:
    """``value`` (a number, a 0-d array or a constant node) as a Python int, if it is a whole
    number; else ``EvaluationError`` naming ``what``.

    >>> as_integer(np.float64(4.0), "a slice bound")
    4
    """
    if type(value) is int:
        return value
    if isinstance(value, Node):
        if value.requires_grad:
            raise EvaluationError(f"{what} cannot depend on a differentiable input")
        value = value.value
    if isinstance(value, (bool, np.bool_)) or np.ndim(value) != 0:
        raise EvaluationError(f"{what} must be a single integer, got {value!r}")
    number = np.asarray(value).item()
    if isinstance(number, float) and (not math.isfinite(number) or not number.is_integer()):
        raise EvaluationError(f"{what} must be a whole number, got {number!r}")
    if not isinstance(number, (int, float)):
        raise EvaluationError(f"{what} must be a single integer, got {number!r}")
    return int(number)


def _index_array(node: Node) -> Any:
    """An index part held in a node: an int (0-d), an int64 index array, or a boolean mask."""
    if node.requires_grad:
        raise EvaluationError("an index must be constant: integers, slices, index arrays or "
                              "masks, not a Node that depends on a differentiable input")
    value = node.value
    if value.ndim == 0:
        return as_integer(node, "an index")
    if value.dtype.kind in "biu":
        return value
    raise EvaluationError("an index array must hold integers or booleans (integer data, arange, "
                          "// or %, a comparison), not floats; a float 0/1 mask selects by "
                          "multiplying (x * mask), not as an index")


def _plain(part: Any) -> Any:
    if isinstance(part, Node):
        return _index_array(part)
    if isinstance(part, slice):
        bounds = (part.start, part.stop, part.step)
        if any(isinstance(b, Node) for b in bounds):
            start, stop, step = (None if b is None else as_integer(b, "a slice bound")
                                 for b in bounds)
            if step == 0:
                raise EvaluationError("a slice step cannot be zero")
            return slice(start, stop, step)
    return part


def _result_size(shape: tuple[int, ...], parts: tuple[Any, ...]) -> int | None:
    """Number of entries ``x[parts]`` has (None if numpy will reject the index anyway)."""
    consumed = [p.ndim if isinstance(p, np.ndarray) and p.dtype == bool else
                0 if p is None or p is Ellipsis else 1 for p in parts]
    if sum(consumed) > len(shape) or sum(p is Ellipsis for p in parts) > 1 \
            or any(isinstance(p, float) for p in parts):
        return None
    expanded: list[Any] = []
    for p in parts:
        expanded.extend([slice(None)] * (len(shape) - sum(consumed)) if p is Ellipsis else [p])
    if not any(p is Ellipsis for p in parts):
        expanded.extend([slice(None)] * (len(shape) - sum(consumed)))
    size, arrays, dim = 1, [], 0
    for p in expanded:
        if p is None:
            continue
        if isinstance(p, slice):
            size *= len(range(*p.indices(shape[dim])))
        elif isinstance(p, np.ndarray):
            arrays.append((int(np.count_nonzero(p)),) if p.dtype == bool else p.shape)
        dim += p.ndim if isinstance(p, np.ndarray) and p.dtype == bool else 1
    try:
        return size * math.prod(np.broadcast_shapes(*arrays)) if arrays else size
    except ValueError:
        return None


def _is_basic(parts: tuple[Any, ...]) -> bool:
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice))
               for p in parts)


def getitem(x: Operand, index: Any) -> Node:
    """``x[index]``: integers (negative too), slices with steps, ``None``, ``...``, tuples of
    those, and numpy's integer-array and boolean indexing, also with index arrays and masks held
    in nodes (``x[arange(N), y]``, ``W[idx]``, ``x[mask]``). Repeated entries accumulate.

    >>> from gradcheck.engine import constant, variable
    >>> getitem(variable([1.0, 2.0, 3.0]), slice(None, None, -1)).value
    array([3., 2., 1.])
    >>> x = variable([[1.0, 2.0], [3.0, 4.0]])
    >>> getitem(x, (np.arange(2), constant(np.array([1, 0])))).value
    array([2., 3.])
    """
    x = _lift(x)
    parts = tuple(_plain(p) for p in (index if isinstance(index, tuple) else (index,)))
    plain = parts if isinstance(index, tuple) else parts[0]
    basic = _is_basic(parts)
    if not basic:   # integers, slices, None and ... never give more entries than x has
        size = _result_size(x.shape, parts)
        if size is not None:
            check_size((size,), "indexing")
    try:
        out = np.array(x.value[plain])
    except (IndexError, TypeError, ValueError) as exc:
        raise EvaluationError(f"index {plain!r} does not fit shape {x.shape}: {exc}") from None

    def backward(g):
        grad = np.zeros(x.shape)
        if basic:
            grad[plain] += g
        else:
            np.add.at(grad, plain, g)
        return (grad,)
    return _make(out, (x,), backward)


Node.__getitem__ = getitem


def arange(n: Operand) -> Node:
    """The integers ``0, 1, ..., n - 1`` as data (an index array), like ``np.arange(n)``.

    >>> arange(3).value
    array([0, 1, 2])
    """
    count = as_integer(n, "arange's length")
    if count < 0:
        raise EvaluationError(f"arange: the length must not be negative, got {count}")
    check_size((count,), "arange")
    return _make(np.arange(count, dtype=np.int64), (), lambda g: ())


def where(condition: Operand, a: Operand, b: Operand) -> Node:
    """``a`` where ``condition`` holds (is nonzero), else ``b``, with broadcasting, like
    ``np.where``. The gradient goes to the branch that was chosen; the condition gets none.

    >>> from gradcheck.engine import variable
    >>> where(np.array([True, False]), variable([1.0, 2.0]), 0.0).value
    array([1., 0.])
    """
    c, a, b = _lift(condition), _lift(a), _lift(b)
    broadcast_shape("where", c.shape, a.shape, b.shape)
    chosen = c.value != 0

    def backward(g):
        return (None, unbroadcast(np.where(chosen, g, 0.0), a.shape),
                unbroadcast(np.where(chosen, 0.0, g), b.shape))
    return _make(np.where(chosen, a.value, b.value), (c, a, b), backward)


def _integer_op(a: Operand, b: Operand, symbol: str, fn: Any) -> Node:
    a, b = _lift(a), _lift(b)
    if a.requires_grad or b.requires_grad:
        raise EvaluationError(f"{symbol} has no derivative: use it on sizes, integer data and "
                              "numbers, not on differentiable inputs")
    broadcast_shape(symbol, a.shape, b.shape)
    out = fn(a.value, b.value)
    if (is_data(a.value) or is_data(b.value)) and _whole(a.value) and _whole(b.value):
        out = out.astype(np.int64)  # integer arithmetic: arange(N) // 2 still indexes
    return _make(out, (a, b), lambda g: (None, None))


def _whole(value: np.ndarray) -> bool:
    return is_data(value) or bool(np.all(np.isfinite(value)) and np.all(value == np.round(value)))


def floor_divide(a: Operand, b: Operand) -> Node:
    """``a // b`` (rounded down), for sizes and indices; no derivative (an error on a
    differentiable input). ``floor_divide(7, 2).value`` is ``array(3.)``."""
    return _integer_op(a, b, "//", np.floor_divide)


def remainder(a: Operand, b: Operand) -> Node:
    """``a % b`` (the sign of ``b``, as in Python), for sizes and indices; no derivative.
    ``remainder(7, 2).value`` is ``array(1.)``."""
    return _integer_op(a, b, "%", np.remainder)
