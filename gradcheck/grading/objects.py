"""Grading stateful objects (``kind: object``): the worker request for one test point.

A scalar ``Value`` class is driven by the program the spec reader built from the function
(``spec.objects``); a module is constructed with its weights, called forward and backward,
and its weights' gradients are read from the attributes the protocol names. The worker side
is ``sandbox/child/objects.py``.

>>> from gradcheck.spec import parse_sheet
>>> sheet = parse_sheet('''
... sheet: s
... title: t
... exercises:
...   - {id: v, title: Value, points: 1, kind: object, student: Value, protocol: value,
...      function: "tanh(a * b)", inputs: {a: {shape: []}, b: {shape: []}}}
... ''')
>>> from gradcheck.spec.sampling import sample_points
>>> exercise = sheet.exercises[0]
>>> request(exercise, sample_points(exercise, 1)[0], 5.0).header["program"]
[['mul', 0, 1], ['tanh', 2]]
"""

from __future__ import annotations

import numpy as np

from gradcheck.sandbox import Request
from gradcheck.sandbox.pipeline import checked_input
from gradcheck.spec import Exercise
from gradcheck.spec.sampling import TestPoint


def request(exercise: Exercise, point: TestPoint, timeout: float) -> Request:
    """The worker request that answers ``point`` of an object exercise."""
    protocol = exercise.protocol
    weights = protocol.get("weights")
    if weights is None:
        header = {"op": "value", "name": exercise.student, "program": protocol["program"],
                  **{k: protocol[k] for k in ("value", "grad", "backward")}}
        arrays = point.args()
        count = 1 + len(arrays)
        what = f"running the {exercise.student} operations"
    else:
        called = [n for n in exercise.input_names if n not in weights]
        arrays = [point.inputs[n] for n in (*weights, *called)] + [
            np.asarray(point.grad_output).reshape(np.shape(point.expected[0]))]
        header = {"op": "module", "name": exercise.student, "weights": len(weights),
                  "inputs": len(called), "attributes": list(weights.values())}
        if exercise.params:
            header["params"] = exercise.param_values()
        count = 1 + len(called) + len(weights)
        what = f"running {exercise.student}"
    return Request(header, tuple(checked_input(a) for a in arrays), count, what, count,
                   timeout)
