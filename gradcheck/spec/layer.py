"""Layer and loss exercises: reading their keys, and their reference answers.

``kind: layer`` grades a pair ``X_forward(*inputs, *params) -> (out, cache)`` and
``X_backward(dout, cache) -> (dx, dw, ...)``: the forward values and the gradient of
⟨dout, out⟩ with respect to each ``wrt`` input (default: every input that is not data), for a
random upstream gradient ``dout``. With several outputs (``function`` a mapping of output
names to expressions, e.g. an LSTM step's ``next_h`` and ``next_c``) forward returns them all
before its cache, backward takes one upstream gradient per output, and the gradients are those
of Σᵢ ⟨doutᵢ, outᵢ⟩.

``kind: loss`` grades one function returning ``(loss, d1, d2, ...)``: the value of a scalar
``function`` and its gradient with respect to each ``wrt`` input.

A test point of a layer keeps its upstream gradients in ``grad_output`` as one flat array
(the outputs' gradients raveled one after the other); :func:`split` cuts it back.

>>> from gradcheck.spec import parse_sheet
>>> sheet = parse_sheet('''
... sheet: s
... title: t
... exercises:
...   - {id: a, title: affine, points: 1, kind: layer, forward: affine_forward,
...      backward: affine_backward, function: "x @ w + b",
...      inputs: {x: {shape: [2, 3]}, w: {shape: [3, 4]}, b: {shape: [4]}}}
... ''')
>>> ex = sheet.exercises[0]
>>> ex.student, ex.backward, ex.wrt, ex.output_names
('affine_forward', 'affine_backward', ('x', 'w', 'b'), ('out',))
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from gradcheck import engine, expr
from gradcheck.errors import EvaluationError
from gradcheck.results import LAYER, LOSS, OBJECT
from gradcheck.spec.fields import FieldReader
from gradcheck.spec.located import LocatedDict

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_OUTPUTS = 8


def style(exercise: Any) -> str:
    """How an exercise's answers are laid out: "layer" (outputs, then the gradient of
    ⟨dout, out⟩ for each ``wrt`` input: layer pairs and module objects), "loss" (a scalar
    value, then its gradients: loss functions and scalar ``Value`` objects), else its kind."""
    if exercise.kind == LAYER or exercise.kind == OBJECT and exercise.outputs:
        return LAYER
    if exercise.kind in (LOSS, OBJECT):
        return LOSS
    return exercise.kind


def read_outputs(reader: FieldReader, data: LocatedDict, known: set[str]
                 ) -> tuple[expr.Expression, tuple[tuple[str, expr.Expression], ...]]:
    """``(function, outputs)`` of a layer: ``function`` is one expression (one output named
    ``out``) or a mapping of output names to expressions, in the order forward returns them."""
    value = reader.require(data, "function", "exercise")
    if not isinstance(value, dict):
        function = reader.expression(value, data, "function", known)
        return function, (("out", function),)
    if not value or len(value) > MAX_OUTPUTS:
        raise reader.error(f"a mapping of 1 to {MAX_OUTPUTS} output names to expressions",
                           data, "function")
    outputs = []
    for name, text in value.items():
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            raise reader.error(f"{name!r} is not a valid output name", value, str(name))
        outputs.append((name, reader.expression(text, value, name, known)))
    return outputs[0][1], tuple(outputs)


def read_gradients(reader: FieldReader, data: LocatedDict, differentiable: tuple[str, ...],
                   data_names: set[str]) -> tuple[str, ...]:
    """The inputs a layer's backward returns gradients for, in order (``wrt``; default:
    every input that is not data, in the order of ``inputs``)."""
    if data.get("wrt") is None:
        if not differentiable:
            raise reader.error("a layer needs an input that is not data (its gradient is "
                               "graded)", data, "inputs")
        return differentiable
    value = data["wrt"]
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, str) for i in items):
        raise reader.error("names the inputs backward returns gradients for, in order",
                           data, "wrt")
    for item in items:
        if item in data_names:
            raise reader.error(f"{item!r} is a data input: it receives no gradient", data,
                               "wrt")
        if item not in differentiable:
            raise reader.error(f"{item!r} is not an input (inputs: "
                               f"{', '.join(differentiable)})", data, "wrt")
    if len(set(items)) != len(items):
        raise reader.error("names an input twice", data, "wrt")
    return tuple(items)


def build_outputs(exercise: Any, nodes: Mapping[str, engine.Node]) -> list[engine.Node]:
    """Every output of a layer as an engine graph of the given input nodes."""
    env: dict[str, Any] = {k: engine.constant(v) for k, v in exercise.constants.items()}
    env.update(nodes)
    exercise.add_sizes(env, nodes)
    for name, definition in exercise.let:
        env[name] = definition.build(env)
    return [engine._lift(e.build(env)) for _, e in exercise.outputs]


def split(grad_output: np.ndarray, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
    """The flat upstream gradients of a layer point, one array per output shape.

    >>> [a.shape for a in split(np.arange(7.0), [(2, 2), (3,)])]
    [(2, 2), (3,)]
    """
    parts, offset = [], 0
    for shape in shapes:
        size = int(np.prod(shape, dtype=np.int64))
        parts.append(np.asarray(grad_output[offset:offset + size]).reshape(shape))
        offset += size
    if offset != np.size(grad_output):
        raise EvaluationError(f"the upstream gradient has {np.size(grad_output)} entries, the "
                              f"outputs {offset}")
    return parts


def output_values(exercise: Any, inputs: Mapping[str, Any]) -> list[np.ndarray]:
    """The layer's outputs at ``inputs`` (no derivative)."""
    nodes = {k: engine.constant(v) for k, v in inputs.items()}
    return [np.array(n.value, dtype=float) for n in build_outputs(exercise, nodes)]


def layer_reference(exercise: Any, inputs: Mapping[str, Any], grad_output: np.ndarray
                    ) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """``(values, answers)``: every output raveled into one array, and the answers the student
    must give: each output, then the gradient of Σᵢ ⟨doutᵢ, outᵢ⟩ for each ``wrt`` input."""
    nodes = {k: (engine.variable(v) if k in exercise.wrt else engine.constant(v))
             for k, v in inputs.items()}
    outs = build_outputs(exercise, nodes)
    douts = split(grad_output, [o.shape for o in outs])
    total = engine.constant(0.0)
    for out, dout in zip(outs, douts, strict=True):
        total = total + engine.sum(out * engine.constant(dout))
    grads = engine.backward(total, [nodes[k] for k in exercise.wrt])
    values = [np.array(o.value, dtype=float) for o in outs]
    return (np.concatenate([v.ravel() for v in values]),
            (*values, *[np.asarray(g, dtype=float) for g in grads]))


def loss_reference(exercise: Any, inputs: Mapping[str, Any]
                   ) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """``(value, (value, gradient for each wrt input))`` of a loss exercise."""
    value, grads = engine.jacobian(exercise.build, inputs, list(exercise.wrt))
    if np.shape(value) != ():
        raise EvaluationError(f"a loss exercise needs a scalar function; this one has shape "
                              f"{np.shape(value)}")
    return value, (np.asarray(value, dtype=float), *grads)


def answer_of(exercise: Any, point: Any, k: int):
    """``(name, f)`` when answer ``k`` of a layer or loss point is the gradient of ``f`` with
    respect to input ``name``; None for a forward value or a loss value."""
    first = len(exercise.outputs) if style(exercise) == LAYER else 1
    if k < first:
        return None
    name = exercise.wrt[k - first]
    if style(exercise) != LAYER:
        def f(v: np.ndarray) -> np.ndarray:
            return exercise.evaluate({**point.inputs, name: v})
        return name, f
    shapes = [np.shape(e) for e in point.expected[:first]]
    douts = split(point.grad_output, shapes)

    def f(v: np.ndarray) -> np.ndarray:
        outs = output_values(exercise, {**point.inputs, name: v})
        return np.sum([np.sum(o * d) for o, d in zip(outs, douts, strict=True)])
    return name, f
