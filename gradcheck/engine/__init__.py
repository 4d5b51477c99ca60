"""Reference backprop: exact reverse-mode derivatives of numpy float64 arrays of any shape.

The graph, its nodes and the ops behind Python's operators live in ``engine.node``; the named
functions (``exp``, ``sum``, ``softmax``, ``stack``, ...) in ``engine.ops``; indexing, ``where``
and integer arithmetic in ``engine.index``; ``max``/``min``/``var`` in ``engine.reduce``;
``einsum`` in ``engine.contraction``; padding, convolution and pooling in ``engine.conv``.
This module re-exports them all and adds the three ways to take derivatives:

- :func:`backward` - gradients of one output with respect to chosen nodes (a vector-Jacobian
  product when the output is not a scalar);
- :func:`jacobian` - the full derivative of ``fn(**inputs)`` in the layout
  ``value.shape + input.shape`` (numerator layout: m x n for f: R^n -> R^m);
- :func:`vjp` - ``<grad_output, f>`` differentiated with respect to inputs.

>>> import numpy as np
>>> x = variable(np.array([1.0, 2.0]))
>>> y = sum(exp(x) * x)
>>> [g.round(3) for g in backward(y, [x])]
[array([ 5.437, 22.167])]

``backward`` is a topological sort and one reversed loop (no recursion, so graphs of any depth
work); gradients of a node used several times accumulate. No op creates an array of more than
``engine.node.MAX_ELEMENTS`` entries: each one that can grow an array checks the result's size
before allocating it and raises ``EvaluationError`` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from gradcheck.engine.contraction import MAX_WORK, einsum
from gradcheck.engine.conv import (
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    max_pool1d,
    max_pool2d,
    pad,
)
from gradcheck.engine.index import arange, as_integer, floor_divide, getitem, remainder, where
from gradcheck.engine.node import (
    Node,
    Operand,
    _lift,
    add,
    broadcast_shape,
    check_size,
    constant,
    div,
    is_data,
    matmul,
    mul,
    neg,
    power,
    sub,
    transpose,
    unbroadcast,
    variable,
)
from gradcheck.engine.ops import (
    abs,
    arctan,
    concatenate,
    cos,
    cosh,
    diag,
    dot,
    exp,
    log,
    log1p,
    logsumexp,
    maximum,
    mean,
    minimum,
    norm,
    outer,
    relu,
    reshape,
    sigmoid,
    sin,
    sinh,
    softmax,
    sqrt,
    square,
    stack,
    sum,
    tan,
    tanh,
)
from gradcheck.engine.reduce import max, min, var
from gradcheck.errors import EvaluationError

__all__ = [
    "MAX_WORK", "Node", "Operand", "abs", "add", "arange", "arctan", "as_integer",
    "avg_pool1d", "avg_pool2d", "backward", "broadcast_shape", "check_size", "concatenate",
    "constant", "conv1d", "conv2d", "cos", "cosh", "diag", "div", "dot", "einsum", "exp",
    "floor_divide", "getitem", "is_data", "jacobian", "log", "log1p", "logsumexp", "matmul",
    "max", "max_pool1d", "max_pool2d", "maximum", "mean", "min", "minimum", "mul", "neg",
    "norm", "outer", "pad", "power", "relu", "remainder", "reshape", "sigmoid", "sin", "sinh",
    "softmax", "sqrt", "square", "stack", "sub", "sum", "tan", "tanh", "transpose",
    "unbroadcast", "var", "variable", "vjp", "where",
]

Gradients = np.ndarray | tuple[np.ndarray, ...]


def _topological_order(output: Node) -> list[Node]:
    """Nodes that ``output`` depends on and that need gradients, parents before children."""
    order: list[Node] = []
    seen: set[int] = set()
    stack_: list[tuple[Node, bool]] = [(output, False)]
    while stack_:
        node, expanded = stack_.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen or not node.requires_grad:
            continue
        seen.add(id(node))
        stack_.append((node, True))
        stack_.extend((parent, False) for parent in node.parents if id(parent) not in seen)
    return order


def _backprop(order: list[Node], output: Node, grad_output: np.ndarray) -> dict[int, np.ndarray]:
    """Gradient of ``<grad_output, output>`` for every node in ``order``, keyed by ``id``."""
    grads = {id(output): grad_output}
    for node in reversed(order):
        g = grads.get(id(node))
        if g is None or node.backward_fn is None:
            continue
        for parent, grad in zip(node.parents, node.backward_fn(g), strict=True):
            if grad is None or not parent.requires_grad:
                continue
            key = id(parent)
            grads[key] = grad if key not in grads else grads[key] + grad  # never in place
    return grads


def _grad_output(output: Node, grad_output: ArrayLike | None) -> np.ndarray:
    if grad_output is None:
        if output.size != 1:
            raise EvaluationError(f"the output has shape {output.shape}, not a scalar: pass a "
                                  "grad_output of that shape")
        return np.ones(output.shape)
    g = np.array(grad_output, dtype=np.float64)
    if g.shape != output.shape:
        raise EvaluationError(f"grad_output has shape {g.shape}, but the output has shape "
                              f"{output.shape}")
    return g


def backward(output: Node, wrt: Sequence[Node],
             grad_output: ArrayLike | None = None) -> list[np.ndarray]:
    """Gradients of ``<grad_output, output>`` with respect to each node in ``wrt``.

    ``grad_output`` defaults to ones for a scalar output and must have the output's shape
    otherwise. A node the output does not depend on gets zeros.

    >>> x = variable([1.0, 2.0, 3.0])
    >>> backward(sum(x * x), [x])
    [array([2., 4., 6.])]
    """
    if isinstance(wrt, Node):
        raise EvaluationError("wrt must be a sequence of nodes, e.g. [x]")
    g = _grad_output(output, grad_output)
    grads = _backprop(_topological_order(output), output, g)
    return [np.array(grads.get(id(node), np.zeros(node.shape)), dtype=np.float64)
            for node in wrt]


def _build(fn: Callable[..., Operand], inputs: Mapping[str, ArrayLike],
           wrt: str | Sequence[str]) -> tuple[Node, list[Node]]:
    """Call ``fn`` once on nodes for ``inputs`` (variables for ``wrt``, constants otherwise)."""
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    missing = [name for name in names if name not in inputs]
    if missing or not names:
        raise EvaluationError(f"wrt {wrt!r} must name some of the inputs "
                              f"{', '.join(inputs) or '(none)'}")
    nodes = {name: (variable(value) if name in names else constant(value))
             for name, value in inputs.items()}
    return _lift(fn(**nodes)), [nodes[name] for name in names]


def _pack(wrt: str | Sequence[str], arrays: list[np.ndarray]) -> Gradients:
    return arrays[0] if isinstance(wrt, str) else tuple(arrays)


def jacobian(fn: Callable[..., Operand], inputs: Mapping[str, ArrayLike],
             wrt: str | Sequence[str]) -> tuple[np.ndarray, Gradients]:
    """``(value, J)`` for ``value = fn(**inputs)``, with ``J`` of shape
    ``value.shape + inputs[wrt].shape`` (a tuple of such, one per name, when ``wrt`` is a list).

    ``fn`` receives every input as a Node (a variable for the ``wrt`` names) and is called once;
    the Jacobian takes one backward pass per output entry on that graph. For a scalar output
    ``J`` is the gradient, with the input's shape. Python floats become 0-d arrays. A ``J``
    of more than ``MAX_ELEMENTS`` entries raises ``EvaluationError`` before it is allocated.

    >>> value, J = jacobian(lambda x: sin(x) * 2, {"x": [0.0, 1.0]}, "x")
    >>> J.round(3)
    array([[2.   , 0.   ],
           [0.   , 1.081]])
    """
    out, targets = _build(fn, inputs, wrt)
    value = np.array(out.value, dtype=np.float64)
    for t in targets:
        check_size(value.shape + t.shape, "jacobian")
    order = _topological_order(out)
    jacobians = [np.zeros(value.shape + t.shape) for t in targets]
    for index in np.ndindex(value.shape):
        seed = np.zeros(value.shape)
        seed[index] = 1.0
        grads = _backprop(order, out, seed)
        for J, target in zip(jacobians, targets, strict=True):
            if id(target) in grads:
                J[index] = grads[id(target)]
    return value, _pack(wrt, jacobians)


def vjp(fn: Callable[..., Operand], inputs: Mapping[str, ArrayLike], wrt: str | Sequence[str],
        grad_output: ArrayLike) -> tuple[np.ndarray, Gradients]:
    """``(value, gradients)``: the gradients of ``<grad_output, fn(**inputs)>`` with respect to
    the ``wrt`` inputs (one array, or a tuple when ``wrt`` is a list), in one backward pass.

    >>> value, g = vjp(lambda x: x * x, {"x": [1.0, 2.0]}, "x", [1.0, 10.0])
    >>> g
    array([ 2., 40.])
    """
    out, targets = _build(fn, inputs, wrt)
    return np.array(out.value, dtype=np.float64), _pack(wrt, backward(out, targets, grad_output))
