"""How the grader's verdicts read: a failed check in one line, a backward that returned the
wrong number of gradients, and an exercise's message from the verdicts at its points.

The verdicts are decided elsewhere (``grader.judge``, ``compare``); this module only words
them, from what the spec says about the exercise (its inputs' names, its sizes).

>>> from gradcheck.compare import compare
>>> describe(compare(np.ones(3), 0.0, label="backward: gradient of b"))
'backward: gradient of b is a scalar 0, expected shape (3,)'
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np

from gradcheck.results import (
    ERROR,
    FAIL,
    LAYER,
    NODE,
    NOT_IMPLEMENTED,
    PASS,
    TIMEOUT,
    CheckResult,
    ExerciseResult,
    PointResult,
)
from gradcheck.spec import Exercise, Sheet
from gradcheck.spec.sampling import TestPoint

# Worst status first: an exercise shows the worst status among its test points.
STATUS_ORDER = (NOT_IMPLEMENTED, TIMEOUT, ERROR, FAIL, PASS)
SIZE_MATCH = 1e-3   # relative distance of a point's factor to a size (or its root) that matches
# How a factor can be a size n: (written, its value, what it says, what the student missed)
_FORMS = (
    ("{}", lambda n: n, "{}", "a division by {} is missing (a sum where a mean is taken?)"),
    ("1/{}", lambda n: 1 / n, "one over {}", "an extra division by {}"),
    ("√{}", math.sqrt, "the square root of {}", "a division by √{} is missing"),
    ("1/√{}", lambda n: 1 / math.sqrt(n), "one over the square root of {}",
     "an extra division by √{}"),
)


# How a constant factor can be a parameter p: (written, its value, what the student missed)
_PARAM_FORMS = (
    ("{}", lambda p: p, "a division by {} is missing"),
    ("1/{}", lambda p: 1 / p, "an extra division by {} (or a missing product)"),
)


def describe(check: CheckResult) -> str:
    """A failed check in one line: what, the diagnosis, and the worst entry's values (unless
    the diagnosis already names them)."""
    if check.code == "shape" and check.received_shape == () and check.received is not None:
        return (f"{check.label} is a scalar {check.received:.6g}, expected shape "
                f"{tuple(check.expected_shape)}")
    text = f"{check.label}: {check.diagnosis}"
    if check.worst_index is not None and check.expected is not None \
            and check.received is not None \
            and check.code not in ("shape", "nonfinite", "entry", "row", "column"):
        where = f" at {list(check.worst_index)}" if check.worst_index else ""
        text += f" (worst entry{where}: expected {check.expected:.6g}, got {check.received:.6g})"
    return text


def count_story(exercise: Exercise, point: TestPoint, answers: Sequence[np.ndarray]) -> str:
    """A backward that returned more or fewer gradients than the exercise has inputs.

    >>> from gradcheck.spec import load_sheet
    >>> from gradcheck.spec.sampling import sample_points
    >>> square = load_sheet("sheet01").exercise("3a-square")
    >>> point = sample_points(square, seed=1)[0]
    >>> count_story(square, point, [np.ones(1)] * 3).partition(" (shape")[0]
    'Square.backward returned 2 gradients; expected 1: the gradient of a'
    """
    if exercise.kind == NODE:
        names = exercise.differentiable
        shapes = [np.shape(e) for e in point.expected[1:]]
        wanted = " and ".join(f"{n} (shape {s})" for n, s in zip(names, shapes, strict=True))
        return (f"{exercise.student}.backward returned {_gradients(len(answers) - 1)}; "
                f"expected {len(names)}: the gradient{'s' if len(names) > 1 else ''} of "
                f"{wanted}")
    if exercise.kind == LAYER:
        first = len(exercise.outputs)
        wanted = "(" + ", ".join(f"d{n}" for n in exercise.wrt) + ")"
        return (f"{exercise.backward} returned {_gradients(len(answers) - first)}; expected "
                f"{len(exercise.wrt)}: {wanted}")
    return f"returned {len(answers)} values, expected {len(point.expected)}"


def _gradients(count: int) -> str:
    return "no gradients" if count == 0 else f"{count} gradient{'s' if count > 1 else ''}"


def summary(results: Sequence[PointResult], passed: int, exercise: Exercise | None = None,
            sizes: Sequence[Mapping[str, int]] = ()) -> str:
    """The exercise's message: the worst failing point's diagnosis, and how many failed.

    ``sizes``: the exercise's sizes at each point (as ``results``), to recognise a factor
    that is one of them (a missing 1/N).
    """
    total = len(results)
    if passed == total:
        return f"all {total} test points passed"
    failing = [r for r in results if not r.passed]
    ran = [r for r in failing if not r.message.startswith("not run after")]
    worst = min(ran, key=lambda r: (STATUS_ORDER.index(r.status), -_error_key(r)))
    if worst.status == NOT_IMPLEMENTED:
        return worst.message
    if len(ran) < len(failing):
        return f"{worst.message} ({len(failing) - len(ran)} more test points not run)"
    at = [s for r, s in zip(results, sizes, strict=True) if not r.passed] if sizes else []
    story = (_size_factor(ran, exercise, at) if exercise and at else "") \
        or (_param_factor(ran, exercise) if exercise else "") \
        or _varying_factor(ran) or worst.message
    return f"{story} ({len(failing)} of {total} test points failed)"


def _error_key(result: PointResult) -> float:
    error = result.max_rel_error
    return math.inf if error is None or math.isnan(error) else error


def _factors(failing: Sequence[PointResult], scalars: bool = False
             ) -> tuple[CheckResult | None, list[float]]:
    """The first failing check of each point, and its factor received/expected, when each
    is off by a constant factor (``scalars``: or is a single wrong value, a factor too)."""
    checks = [next((c for c in r.checks if not c.passed), None) for r in failing]
    factors = []
    for c in checks:
        if c is None or not c.expected or c.received is None or not (
                c.code == "factor" or scalars and c.code == "values"
                and math.prod(c.expected_shape) == 1):
            return None, []
        factors.append(c.received / c.expected)
    return (checks[0], factors) if len(checks) >= 2 else (None, [])


def _varying_factor(failing: Sequence[PointResult]) -> str:
    """Points that each look "off by a constant factor", by a different factor at each point:
    no constant is wrong but an input-dependent factor (an inner derivative, say)."""
    check, factors = _factors(failing)
    if check is None:
        return ""
    factors = sorted(factors)
    if factors[-1] - factors[0] <= 0.01 * max(abs(factors[0]), abs(factors[-1])):
        return ""
    return (f"{check.label}: off by a factor that changes from point to point "
            f"({factors[0]:.3g} … {factors[-1]:.3g}): a factor that depends on the input is "
            "missing or extra (an inner derivative?)")


def _size_factor(failing: Sequence[PointResult], exercise: Exercise,
                 sizes: Sequence[Mapping[str, int]]) -> str:
    """Points off by a factor that changes between them but is, at each, a size of the
    inputs (N, 1/N, √N, 1/√N): a mean taken as a sum, a missing 1/√d."""
    check, factors = _factors(failing, scalars=True)
    if check is None:
        return ""
    for name, values, what in _candidates(exercise, sizes):
        if len(set(values)) < 2:
            continue   # the same size at every point: an ordinary constant factor
        for written, value, says, missed in _FORMS:
            if all(abs(f - value(n)) <= SIZE_MATCH * value(n)
                   for f, n in zip(factors, values, strict=True)):
                seen = sorted(set(values))
                shown = ", ".join(map(str, seen[:-1])) + f" or {seen[-1]}"
                return (f"{check.label}: off by a factor {written.format(name)} (= "
                        f"{says.format(what)}: {shown} at these points): "
                        f"{missed.format(name)}")
    return ""


def _param_factor(failing: Sequence[PointResult], exercise: Exercise) -> str:
    """Points all off by one constant factor that is a number among the exercise's
    ``params`` (p or 1/p, one parameter only): a dropout backward without its ``/ p``."""
    check, factors = _factors(failing, scalars=True)
    if check is None or max(factors) - min(factors) > SIZE_MATCH * max(map(abs, factors)):
        return ""
    found = [(written, name, value, missed) for name, value in _numbers(exercise.params)
             for written, form, missed in _PARAM_FORMS
             if abs(factors[0] - form(value)) <= SIZE_MATCH * abs(form(value))]
    if len({name for _, name, _, _ in found}) != 1:
        return ""   # none, or a factor several parameters could be: no guess
    written, name, value, missed = found[0]
    return (f"{check.label}: off by a factor {written.format(name)} (= the parameter "
            f"{name} = {value:g}): {missed.format(name)}")


def _numbers(params: Mapping[str, object], prefix: str = ""):
    """(name, value) of every number among ``params`` that can tell a factor apart (not 0, 1
    or -1), a mapping's entries named ``conv_param['stride']``."""
    for key, value in params.items():
        name = f"{prefix}[{key!r}]" if prefix else str(key)
        if isinstance(value, Mapping) and not prefix:
            yield from _numbers(value, name)
        elif isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value) and abs(value) not in (0, 1):
            yield name, float(value)


def builds_on(sheet: Sheet, results: Sequence[ExerciseResult]) -> list[ExerciseResult]:
    """``results`` (one per exercise of ``sheet``, in order), the message of each exercise
    that loses points while exercises it ``uses`` lose points too ending in which those are:
    "— it builds on 3a-mul (fail): fix that first".

    >>> from gradcheck.spec import load_sheet
    >>> sheet = load_sheet("sheet01")
    >>> results = [ExerciseResult(id=e.id, title="", kind=e.kind, student="", points=e.points,
    ...                           score=0.0 if e.id in ("3a-mul", "3b-A") else e.points,
    ...                           status=FAIL if e.id in ("3a-mul", "3b-A") else PASS,
    ...                           message="wrong value") for e in sheet.exercises]
    >>> [r.message for r in builds_on(sheet, results) if r.id == "3b-A"]
    ['wrong value — it builds on 3a-mul (fail): fix that first']
    """
    by_id = {r.id: r for r in results}
    done = []
    for exercise, result in zip(sheet.exercises, results, strict=True):
        failing = [by_id[u] for u in exercise.uses if by_id[u].score < by_id[u].points]
        if failing and result.score < result.points:
            listed = ", ".join(f"{r.id} ({r.status})" for r in failing)
            result = dataclasses.replace(result, message=(
                f"{result.message} — it builds on {listed}: fix "
                f"{'that' if len(failing) == 1 else 'those'} first"))
        done.append(result)
    return done


def point_sizes(exercise: Exercise, point: TestPoint) -> dict[str, int]:
    """The sizes a factor at ``point`` might be: the spec's sizes there, then the number of
    entries of each input with several axes (``x.size``, a mean over all of them).

    >>> from gradcheck.spec import load_sheet
    >>> from gradcheck.spec.sampling import sample_points
    >>> affine = load_sheet("layers").exercise("affine")
    >>> sorted(point_sizes(affine, sample_points(affine, seed=1)[0]))
    ['M', 'N', 'd1', 'd2', 'w.size', 'x.size']
    """
    shapes = {k: np.shape(v) for k, v in point.inputs.items()}
    found = exercise.size_values(shapes) if exercise.sizes else {}
    found.update({f"{k}.size": math.prod(s) for k, s in shapes.items() if len(s) >= 2})
    return found


def _candidates(exercise: Exercise, sizes: Sequence[Mapping[str, int]]):
    """(symbol, values at the points, description) of each size a factor might be."""
    for name in sizes[0]:
        if all(name in s for s in sizes) and all(s[name] > 0 for s in sizes):
            values = [s[name] for s in sizes]
            if name.endswith(".size"):
                yield name, values, f"the number of entries of {name[:-5]}"
            else:
                yield name, values, f"the size {name}{_where(exercise, name)}"


def _where(exercise: Exercise, size: str) -> str:
    """Which input's axis the size is (", the length of x's axis 0"), or nothing."""
    for spec in exercise.inputs:
        options = exercise.shapes[spec.shape] if isinstance(spec.shape, str) else (spec.shape,)
        for dims in options:
            if size in dims:
                if len(options) == 1 and len(dims) == 1:
                    return f", the length of {spec.name}"
                return f", the length of {spec.name}'s axis {list(dims).index(size)}"
    return ""
