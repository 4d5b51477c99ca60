"""Stateful-object exercises (``kind: object``): reading the declared protocol, and the
program a scalar ``Value`` class is driven with.

Two protocols:

- ``protocol: value`` (or a mapping ``{value: data, grad: grad, backward: backward}`` naming
  the attributes and the method): a micrograd-style scalar class. Every input becomes
  ``Value(x)``; the spec's ``function`` is rebuilt with the objects' operators (``+ - * /
  **`` and unary minus) and methods (``tanh()``, ``relu()``, ``exp()``, ``log()``,
  ``sigmoid()``); ``backward()`` on the result must fill every input's ``grad``. Graded: the
  result's value and every input's gradient.
- ``protocol: {weights: {w: dw, b: db}}``: a module holding its weights. ``cls(w, b,
  *params)`` is constructed with the weights, ``forward(*other inputs)`` returns the output,
  ``backward(dout)`` returns the gradient of each other input (one array, or a tuple in
  order), and leaves each weight's gradient in the attribute named (``dw``, ``db``).

The program is built here, in the grader, from the parsed expression's syntax tree: the worker
only applies operators and calls methods, it never evaluates text.

>>> program("tanh(a * b + 2) ** 2", ["a", "b"], {})
[['mul', 0, 1], ['add', 2, [2.0]], ['tanh', 3], ['pow', 4, [2.0]]]
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from gradcheck.errors import ExpressionError
from gradcheck.spec.fields import FieldReader
from gradcheck.spec.located import LocatedDict

VALUE_DEFAULTS = {"value": "data", "grad": "grad", "backward": "backward"}
METHODS = ("tanh", "relu", "exp", "log", "sigmoid")
_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "truediv",
           ast.Pow: "pow"}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_STEPS = 500


def program(text: str, inputs: list[str], named: Mapping[str, Any]) -> list[list]:
    """The steps that rebuild ``text`` from ``inputs`` (registers 0..n-1) with operators and
    methods; ``named`` maps other names to a register list (``let``) or a number. Raises
    ``ExpressionError`` for anything a scalar class cannot express."""
    steps: list[list] = []
    registers = {name: i for i, name in enumerate(inputs)}

    def operand(node: ast.AST):
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return [float(node.value)]
        if isinstance(node, ast.Name):
            if node.id in registers:
                return registers[node.id]
            if node.id in named:
                return named[node.id]
            if node.id in ("pi", "e"):
                return [math.pi if node.id == "pi" else math.e]
            raise ExpressionError(f"unknown name {node.id!r}", text)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = operand(node.operand)
            if isinstance(node.op, ast.UAdd):
                return inner
            if isinstance(inner, list):
                return [-inner[0]]
            return emit(["neg", inner])
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = operand(node.left), operand(node.right)
            if isinstance(left, list) and isinstance(right, list):
                with np.errstate(all="ignore"):
                    value = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
                             ast.Div: np.divide, ast.Pow: np.power}[type(node.op)](
                                 left[0], right[0])
                return [float(value)]
            if isinstance(node.op, ast.Pow) and not isinstance(right, list):
                raise ExpressionError("a Value can only be raised to a constant power", text)
            return emit([_BINARY[type(node.op)], left, right])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in METHODS and len(node.args) == 1 and not node.keywords:
            inner = operand(node.args[0])
            if isinstance(inner, list):
                raise ExpressionError(f"{node.func.id}() of a constant is not a Value", text)
            return emit([node.func.id, inner])
        raise ExpressionError("a Value exercise uses numbers, the inputs, + - * / ** (by a "
                              f"constant), unary minus and {', '.join(METHODS)}() only", text)

    def emit(step: list) -> int:
        if len(steps) >= MAX_STEPS:
            raise ExpressionError(f"more than {MAX_STEPS} operations", text)
        steps.append(step)
        return len(inputs) + len(steps) - 1

    result = operand(ast.parse(text, mode="eval").body)
    if isinstance(result, list):
        raise ExpressionError("the function does not depend on the inputs", text)
    if not steps or result != len(inputs) + len(steps) - 1:   # an input or an earlier step
        steps.append(["add", result, [0.0]])
    return steps


def read_protocol(reader: FieldReader, data: LocatedDict, inputs: tuple, lets: tuple,
                  constants: Mapping[str, np.ndarray], function: Any) -> dict[str, Any]:
    """The exercise fields of an object exercise: ``protocol`` (with the program of a value
    protocol), and for a module its ``outputs`` and ``wrt`` (the other inputs, then the
    weights)."""
    raw = reader.require(data, "protocol", "object exercise")
    if raw == "value":
        raw = {}
    elif not isinstance(raw, dict):
        raise reader.error("is 'value' or a mapping: {value, grad, backward} attribute names "
                           "of a scalar class, or {weights: {w: dw, ...}} of a module", data,
                           "protocol")
    names = [i.name for i in inputs]
    if any(i.is_data for i in inputs):
        raise reader.error("an object exercise has no data inputs", data, "inputs")
    if "weights" in raw:
        reader.check_keys(raw, ("weights",), "a module protocol")
        weights = reader.mapping(raw["weights"], raw, "weights")
        for name, attribute in weights.items():
            if name not in names:
                raise reader.error(f"{name!r} is not an input", raw, "weights")
            if not isinstance(attribute, str) or not _IDENTIFIER.match(attribute):
                raise reader.error(f"the gradient attribute of {name!r} must be a name",
                                   raw, "weights")
        called = [n for n in names if n not in weights]
        if not called:
            raise reader.error("forward needs an input that is not a weight", raw, "weights")
        order = [n for n in names if n in weights]
        return {"protocol": {"weights": {n: str(weights[n]) for n in order}},
                "outputs": (("out", function),), "wrt": (*called, *order)}
    reader.check_keys(raw, tuple(VALUE_DEFAULTS), "a value protocol")
    protocol = dict(VALUE_DEFAULTS)
    for key, value in raw.items():
        if not isinstance(value, str) or not _IDENTIFIER.match(value):
            raise reader.error(f"{key} must be an attribute name", raw, key)
        protocol[key] = value
    for spec in inputs:
        if spec.shape != ():
            raise reader.error(f"a Value holds one number: input {spec.name!r} must have "
                               "shape []", data, "inputs")
    if lets:
        raise reader.error("a value protocol takes its function in one expression (no let)",
                           data, "let")
    named: dict[str, Any] = {k: [float(v)] for k, v in constants.items() if np.ndim(v) == 0}
    try:
        protocol["program"] = program(function.text, names, named)
    except (ExpressionError, SyntaxError) as exc:
        raise reader.error(str(exc), data, "function") from None
    return {"protocol": protocol, "wrt": tuple(names)}
