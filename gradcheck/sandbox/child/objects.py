"""Grading stateful objects in the worker: a scalar ``Value`` class (micrograd style) and a
module class that holds its weights.

Part of the standalone worker (standard library + numpy, never imports ``gradcheck``).

``value`` requests: every input becomes ``cls(x)``; the header's ``program`` (built by the
parent from the spec's expression: no text is evaluated here) combines them with Python's
operators and the objects' methods (``tanh``, ``relu``, ``exp``, ...); then ``backward()`` is
called on the result and its value attribute and every input's gradient attribute are read.

``module`` requests: ``obj = cls(*weights, *params)``, ``out = obj.forward(*inputs)``,
``obj.backward(dout)`` returns the inputs' gradients, and the weights' gradients are read
from the attributes the spec names (``dw``, ``db``).
"""

from __future__ import annotations

import operator

BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
          "truediv": operator.truediv, "pow": operator.pow}
UNARY = {"neg": operator.neg}
METHODS = ("tanh", "relu", "exp", "log", "sigmoid")


def _value_of(submission, obj, attribute: str, what: str):
    try:
        return getattr(obj, attribute), None
    except BaseException as exc:  # noqa: BLE001 - a student's property may raise anything
        return None, submission._outcome("error", exc, f"reading {what}.{attribute}")


def run_value(submission, header: dict, arrays: list):
    """Reply header and arrays (the result's value, then each input's gradient)."""
    name = str(header.get("name"))
    cls, missing = submission._lookup(name, want_class=True)
    if missing:
        return missing, []
    data, grad = str(header.get("value", "data")), str(header.get("grad", "grad"))
    backward = str(header.get("backward", "backward"))
    registers = []
    for array in arrays:
        obj, failed = submission._run(cls, [float(array)], f"{name}({float(array):g})")
        if failed:
            return failed, []
        registers.append(obj)
    inputs = list(registers)
    for step in header.get("program") or []:
        op, args = step[0], step[1:]
        operands = [registers[a] if isinstance(a, int) else float(a[0]) for a in args]
        if op in BINARY:
            label = f"the operator {op} of {name}"
            result, failed = submission._run(BINARY[op], operands, label)
        elif op in UNARY:
            result, failed = submission._run(UNARY[op], operands, f"the operator {op} of {name}")
        elif op in METHODS:
            method = getattr(operands[0], op, None)
            if not callable(method):
                return {"status": "missing",
                        "message": f"{name} has no method {op}() (needed for this exercise)"}, []
            result, failed = submission._run(method, [], f"{name}.{op}")
        else:
            return {"status": "error", "message": f"unknown step {op!r}"}, []
        if failed:
            return failed, []
        registers.append(result)
    out = registers[-1]
    method = getattr(out, backward, None)
    if not callable(method):
        return {"status": "missing", "message": f"the result of the {name} operations has no "
                f"{backward}() method (it is {submission.values.describe(out)})"}, []
    _, failed = submission._run(method, [], f"{name}.{backward}")
    if failed:
        return failed, []
    found = []
    for obj, what in [(out, "the result")] + [(x, f"input {i + 1}") for i, x in
                                               enumerate(inputs)]:
        attribute = data if obj is out else grad
        value, failed = _value_of(submission, obj, attribute, what)
        if failed:
            return failed, []
        reply, converted = submission._convert(value, None, f"{what}.{attribute}")
        if reply["status"] != "ok":
            return reply, []
        found += converted
    return {"status": "ok"}, found


def run_module(submission, header: dict, arrays: list):
    """Reply header and arrays (the output, the inputs' gradients, the weights' gradients)."""
    name = str(header.get("name"))
    weights, inputs = int(header.get("weights", 0)), int(header.get("inputs", 1))
    attributes = [str(a) for a in header.get("attributes") or []]
    params = header.get("params") if isinstance(header.get("params"), list) else []
    cls, missing = submission._lookup(name, want_class=True)
    if missing:
        return missing, []
    argument = submission.values.argument
    obj, failed = submission._run(cls, [argument(a) for a in arrays[:weights]] + list(params),
                                  f"{name}(...)")
    if failed:
        return failed, []
    for method in ("forward", "backward"):
        if not callable(getattr(obj, method, None)):
            return {"status": "missing", "message": f"{name} has no {method} method"}, []
    out, failed = submission._run(obj.forward, [argument(a) for a in
                                                arrays[weights:weights + inputs]],
                                  f"{name}.forward")
    if failed:
        return failed, []
    reply, found = submission._convert(out, None, f"{name}.forward")
    if reply["status"] != "ok":
        return reply, []
    grads, failed = submission._run(obj.backward, [argument(arrays[-1])], f"{name}.backward")
    if failed:
        return failed, []
    reply, converted = submission._convert(grads, inputs, f"{name}.backward")
    if reply["status"] != "ok":
        return reply, []
    found += converted
    for attribute in attributes:
        value, failed = _value_of(submission, obj, attribute, name)
        if failed:
            return failed, []
        reply, converted = submission._convert(value, None, f"{name}.{attribute}")
        if reply["status"] != "ok":
            return reply, []
        found += converted
    return {"status": "ok"}, found
