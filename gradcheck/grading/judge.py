"""The verdict on one answer at one test point, decided in the grader's process:
:func:`judge` compares what the student's function returned with the reference answers and,
for a failed check, says what it looks like (transposed, a sign, a factor, an ignored upstream
gradient, a difference quotient); ``grading.messages`` words it.

>>> from gradcheck.spec import load_sheet
>>> from gradcheck.spec.sampling import sample_points
>>> exercise = load_sheet("sheet01").exercise("1c")
>>> point = sample_points(exercise, seed=1)[0]
>>> judge(exercise, point, 2 * point.expected[0]).checks[0].code
'factor'
"""

from __future__ import annotations

import dataclasses

import numpy as np

from gradcheck import compare, numeric
from gradcheck.grading import layer, messages
from gradcheck.results import (
    ERROR,
    FAIL,
    LAYER,
    NODE,
    PASS,
    CheckResult,
    PointResult,
)
from gradcheck.spec import Exercise
from gradcheck.spec.layer import style
from gradcheck.spec.pointcache import Evaluations
from gradcheck.spec.sampling import TestPoint, answer_function, reference_answers


def judge(exercise: Exercise, point: TestPoint, received: object, *,
          duration: float = 0.0, quotients: dict | None = None,
          diagnose: bool = True) -> PointResult:
    """The verdict on one answer at one test point, decided in the grader's process.

    ``received`` is what the student's function returned there: one array, or a tuple in
    the order of ``wrt`` (node exercises: the forward value, then the tuple of gradients).
    ``quotients``: a dict in which the difference quotients of each point are kept for reuse
    (``validate`` judges many mutants at one point; a batch many submissions), keyed by
    ``(id(point), k)``: a model, or the :class:`~gradcheck.spec.pointcache.Evaluations` an
    earlier run's model made, which the model is built from when first needed.
    ``diagnose=False`` (``validate``, which needs only the status) leaves out what can only
    change the diagnosis of a failed check: the difference quotients it might match.

    >>> from gradcheck.spec import load_sheet
    >>> from gradcheck.spec.sampling import sample_points
    >>> exercise = load_sheet("sheet01").exercise("1c")
    >>> point = sample_points(exercise, seed=1)[0]
    >>> judge(exercise, point, point.expected[0]).status, judge(exercise, point, 0.3).status
    ('pass', 'fail')
    """
    inputs = point_inputs(point)
    answers = _flatten(received)
    if len(answers) != len(point.expected):
        return PointResult(status=ERROR, inputs=inputs, duration=duration,
                           message=messages.count_story(exercise, point, answers))
    checks = tuple(_compare(exercise, point, k, expected, answer, quotients, diagnose)
                   for k, (expected, answer) in enumerate(zip(point.expected, answers,
                                                               strict=True)))
    failing = next((c for c in checks if not c.passed), None)
    message = "" if failing is None else messages.describe(failing)
    result = PointResult(status=PASS if failing is None else FAIL, inputs=inputs,
                         checks=checks, message=message, duration=duration)
    if exercise.kind in layer.REORDERED:
        return layer.reorder(exercise, point, answers, result)
    return result


def _compare(exercise: Exercise, point: TestPoint, k: int, expected: np.ndarray,
             received: object, quotients: dict | None, diagnose: bool = True
             ) -> CheckResult:
    tol = exercise.tolerance
    options = dict(rtol=tol.rtol, atol=tol.atol, label=point.labels[k])
    result = compare.compare(expected, received, **options)
    upstream = exercise.kind == NODE and k > 0 or style(exercise) == LAYER \
        and k >= layer.first_gradient(exercise)
    if not result.passed and upstream and diagnose:
        if quotients is None or (key := ("upstream", id(point))) not in quotients:
            ignoring = reference_answers(exercise, point.inputs,
                                         np.ones_like(point.grad_output))[1]
            if quotients is not None:
                quotients[key] = ignoring
        else:
            ignoring = quotients[key]
        if compare.compare(ignoring[k], received, **options).passed:
            return dataclasses.replace(result, code="upstream", diagnosis=(
                "ignores its upstream gradient: received is the gradient for grad_output = 1 "
                "everywhere, not for the grad_output passed to backward"))
    if not compare.wants_candidates(result) or not (diagnose or result.passed):
        return result   # a failed check stays failed whatever quotients it matches
    if not result.passed and layer.moved_from(exercise, point, k, received) is not None:
        return result   # another gradient's value: reorder() gives the diagnosis
    if quotients is None:  # a model of every stencil and step, evaluated only as needed
        def candidates():
            return _quotient_model(exercise, point, k)
    else:  # many answers at one point (validate's mutants, a batch): keep its evaluations
        key = (id(point), k)
        if key not in quotients or isinstance(quotients[key], Evaluations):
            quotients[key] = _quotient_model(exercise, point, k, quotients.get(key))
        candidates = quotients[key]
    return compare.compare(expected, received, candidates=candidates, **options)


def _quotient_model(exercise: Exercise, point: TestPoint, k: int,
                    taken: Evaluations | None = None):
    """The model of answer ``k`` at ``point``; ``taken``: the evaluations an earlier run's
    model made (point cache), which it starts from instead of evaluating again."""
    found = answer_function(exercise, point, k)
    if found is None:
        return ()
    name, f = found
    if taken is None:
        return numeric.QuotientModel(f, point.inputs[name])
    return numeric.QuotientModel(f, point.inputs[name], taken.value, dict(taken.memo))


def difference_quotients(exercise: Exercise, point: TestPoint, k: int, *,
                         steps: tuple[float, ...] = numeric.QUOTIENT_STEPS
                         ) -> dict[str, np.ndarray]:
    """What a numerical 'derivative' of answer ``k`` at ``point`` would be (forward, backward
    and central differences with the ``steps`` students use), to recognise one.

    >>> from gradcheck.spec import load_sheet
    >>> from gradcheck.spec.sampling import sample_points
    >>> exercise = load_sheet("sheet01").exercise("1c")
    >>> point = sample_points(exercise, seed=1)[0]
    >>> sorted(difference_quotients(exercise, point, 0))[0]
    'backward difference, h=0.0001'
    """
    return dict(_quotients(exercise, point, k, numeric.iter_difference_quotients, steps))


def _quotients(exercise: Exercise, point: TestPoint, k: int, make, steps=numeric.QUOTIENT_STEPS):
    found = answer_function(exercise, point, k)
    if found is None:
        return ()
    name, f = found
    x = point.inputs[name]
    return make(f, x, np.asarray(f(x), dtype=float), steps)


def _flatten(value: object) -> tuple[np.ndarray, ...]:
    """The worker's reply as one array per expected answer (node: forward, then gradients)."""
    if isinstance(value, tuple):
        items: list[np.ndarray] = []
        for v in value:
            items.extend(_flatten(v) if isinstance(v, tuple) else (v,))
        return tuple(items)
    return (value,)


def point_inputs(point: TestPoint) -> dict[str, object]:
    return {k: (float(v) if v.ndim == 0 else v.tolist()) for k, v in point.inputs.items()}
