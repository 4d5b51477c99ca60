"""Typical wrong answers ("mutants") built from the reference answers at a test point.

A mutant is what a student with one typical mistake would return: the sign flipped, off by a
factor 2 or 1/2, transposed, a forward difference quotient instead of the derivative, the
largest entry zeroed, the right formula evaluated at a wrong input (every input that is not
data shifted by ``SHIFT``), or with a parameter forgotten (an input that is not differentiated
taken as 1 or as 0: test points that all set it to 1 cannot see that). Node exercises get the same
mistakes on the forward value and on each gradient, plus gradients handed to the wrong input
and a backward pass that ignores its upstream gradient. Mutants are computed in the grader's
process from the spec alone: no student code.

>>> from gradcheck.spec import load_sheet
>>> from gradcheck.spec.sampling import sample_points
>>> exercise = load_sheet("sheet01").exercise("1d")
>>> point = sample_points(exercise, seed=1)[0]
>>> mutants = mutants_for(exercise)
>>> [m.name for m in mutants][:3]
['sign flipped', 'factor 2', 'factor 1/2']
>>> mutants[3].answer(exercise, point)[0].shape        # transposed: (3, 2) instead of (2, 3)
(3, 2)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradcheck.errors import GradcheckError
from gradcheck.grading.judge import difference_quotients
from gradcheck.results import GRAPH, LAYER, LOSS, NODE, OBJECT
from gradcheck.spec import Exercise
from gradcheck.spec.layer import style
from gradcheck.spec.sampling import TestPoint, answer_function, reference_answers

SHIFT = 0.1              # the "wrong input" mutant evaluates the reference at inputs + SHIFT
QUOTIENT_STEP = 1e-5     # the "difference quotient" mutant: forward difference with this step
QUOTIENT_MAX_ENTRIES = 256   # ... made for inputs of at most this many entries (its cost)

Answer = tuple[np.ndarray, ...]
# (exercise, point, index of the answer to change, expected answers) -> the changed answer
Change = Callable[[Exercise, TestPoint, int, Answer], "np.ndarray | None"]


@dataclass(frozen=True)
class Mutant:
    """One typical mistake: ``answer(exercise, point)`` is the full wrong answer at
    ``point`` (one array per expected answer), or None where the mistake does not apply."""

    name: str
    change: Change
    index: int | None = None          # which answer it changes; None: every one

    def answer(self, exercise: Exercise, point: TestPoint) -> Answer | None:
        expected = tuple(np.asarray(e, dtype=float) for e in point.expected)
        indices = range(len(expected)) if self.index is None else (self.index,)
        out = list(expected)
        changed = False
        for k in indices:
            value = self.change(exercise, point, k, expected)
            if value is not None:
                out[k] = value
                changed = True
        return tuple(out) if changed else None


def mutants_for(exercise: Exercise) -> list[Mutant]:
    """The mutants of one exercise, in a fixed order.

    >>> from gradcheck.spec import load_sheet
    >>> [m.name for m in mutants_for(load_sheet("sheet01").exercise("3b-B"))][:2]
    ['d/dw0: sign flipped', 'd/dw0: factor 2']
    """
    if exercise.kind == NODE:
        return _node_mutants(exercise)
    if exercise.kind in (LAYER, LOSS, OBJECT):
        return _layer_mutants(exercise)
    if exercise.kind == GRAPH:  # wrong lines, not wrong arrays: grading/graphmutants.py
        return []
    labels = [f"d/d{name}: " for name in exercise.wrt] if len(exercise.wrt) > 1 else [""]
    mutants = []
    for k, label in enumerate(labels):
        mutants += [Mutant(label + name, change, k) for name, change in _DERIVATIVE_CHANGES]
    for name in exercise.differentiable:
        if name not in exercise.wrt:  # a parameter forgotten: written as 1, or left out (0)
            mutants += [Mutant(f"{name} taken as {value:g}", _input_as(name, value))
                        for value in (1.0, 0.0)]
    return mutants


# --- the changes --------------------------------------------------------------------------------

def _scaled(factor: float) -> Change:
    return lambda exercise, point, k, expected: factor * expected[k]


def _transposed(exercise: Exercise, point: TestPoint, k: int, expected: Answer
                ) -> np.ndarray | None:
    """Outputs and inputs swapped (for a gradient of a matrix, its transpose)."""
    array = expected[k]
    in_ndim = _input(exercise, point, k).ndim
    out_ndim = array.ndim - in_ndim
    if out_ndim >= 1 and in_ndim >= 1:
        axes = tuple(range(out_ndim, array.ndim)) + tuple(range(out_ndim))
    elif array.ndim >= 2:
        axes = tuple(reversed(range(array.ndim)))
    else:
        return None  # a scalar or a 1-d gradient has nothing to transpose
    return np.transpose(array, axes)


def _quotient(exercise: Exercise, point: TestPoint, k: int, expected: Answer
              ) -> np.ndarray | None:
    if _input(exercise, point, k).size > QUOTIENT_MAX_ENTRIES:
        return None   # one evaluation of the function per entry, at every point and probe
    quotients = difference_quotients(exercise, point, k, steps=(QUOTIENT_STEP,))
    return quotients.get(f"forward difference, h={QUOTIENT_STEP:g}")


def _zeroed(exercise: Exercise, point: TestPoint, k: int, expected: Answer) -> np.ndarray:
    array = expected[k].copy()
    if array.size:
        array[np.unravel_index(int(np.argmax(np.abs(array))), array.shape)] = 0.0
    return array


def _wrong_input(exercise: Exercise, point: TestPoint, k: int, expected: Answer
                 ) -> np.ndarray:
    """The reference answer at every input shifted by ``SHIFT``."""
    shifted = {name: point.inputs[name] + SHIFT for name in exercise.differentiable}
    return _reference_at(exercise, point, k, expected, shifted)


def _reference_at(exercise: Exercise, point: TestPoint, k: int, expected: Answer,
                  changes: dict[str, np.ndarray]) -> np.ndarray:
    """Reference answer ``k`` with some inputs changed (NaN where it cannot be computed)."""
    try:
        with np.errstate(all="ignore"):
            _, answers = reference_answers(exercise, {**point.inputs, **changes},
                                           point.grad_output)
        return np.asarray(answers[k], dtype=float)
    except (GradcheckError, ValueError, ArithmeticError):
        return np.full(expected[k].shape, np.nan)


def _input_as(name: str, value: float) -> Change:
    """The reference answer with one input (not differentiated) set to ``value``."""
    def change(exercise: Exercise, point: TestPoint, k: int, expected: Answer) -> np.ndarray:
        return _reference_at(exercise, point, k, expected,
                             {name: np.full(np.shape(point.inputs[name]), value)})
    return change


def _ignores_upstream(exercise: Exercise, point: TestPoint, k: int, expected: Answer
                      ) -> np.ndarray | None:
    """A backward pass that uses ones instead of its upstream gradient."""
    if k == 0:
        return None
    _, answers = reference_answers(exercise, point.inputs, np.ones_like(point.grad_output))
    return np.asarray(answers[k], dtype=float)


def _input(exercise: Exercise, point: TestPoint, k: int) -> np.ndarray:
    name, _ = answer_function(exercise, point, k)
    return np.asarray(point.inputs[name])


_DERIVATIVE_CHANGES: tuple[tuple[str, Change], ...] = (
    ("sign flipped", _scaled(-1.0)),
    ("factor 2", _scaled(2.0)),
    ("factor 1/2", _scaled(0.5)),
    ("transposed", _transposed),
    ("difference quotient", _quotient),
    ("zeroed entry", _zeroed),
    ("wrong input", _wrong_input),
)


def _node_mutants(exercise: Exercise) -> list[Mutant]:
    mutants = [Mutant(f"forward: {name}", change, 0) for name, change in (
        ("sign flipped", _scaled(-1.0)), ("factor 2", _scaled(2.0)),
        ("factor 1/2", _scaled(0.5)), ("wrong input", _wrong_input))]
    for k, input_name in enumerate(exercise.differentiable, start=1):
        mutants += [Mutant(f"backward {input_name}: {name}", change, k) for name, change in (
            ("sign flipped", _scaled(-1.0)), ("factor 2", _scaled(2.0)),
            ("factor 1/2", _scaled(0.5)), ("difference quotient", _quotient),
            ("zeroed entry", _zeroed), ("ignores upstream", _ignores_upstream),
            ("wrong input", _wrong_input))]
    if len(exercise.differentiable) == 2:
        mutants.append(Mutant("backward: gradients swapped", _swapped, None))
    return mutants


def _swapped(exercise: Exercise, point: TestPoint, k: int, expected: Answer
             ) -> np.ndarray | None:
    """Each of two inputs gets the other one's gradient (only where the shapes agree)."""
    if k == 0 or expected[1].shape != expected[2].shape:
        return None
    return expected[2 if k == 1 else 1]


def _layer_mutants(exercise: Exercise) -> list[Mutant]:
    """A layer's outputs (a loss's value) and each gradient, mistaken one at a time, and two
    gradients of one shape returned in each other's places."""
    layer = style(exercise) == LAYER
    values = exercise.output_names if layer else ("loss",)
    mutants = [Mutant(f"{'forward ' if layer else ''}{value}: {name}", change, k)
               for k, value in enumerate(values) for name, change in (
                   ("sign flipped", _scaled(-1.0)), ("factor 2", _scaled(2.0)),
                   ("factor 1/2", _scaled(0.5)), ("wrong input", _wrong_input))]
    changes = list(_DERIVATIVE_CHANGES)
    if layer:
        changes.append(("ignores upstream", _layer_ignores_upstream(len(values))))
    for i, name in enumerate(exercise.wrt):
        mutants += [Mutant(f"d{name}: {n}", c, len(values) + i) for n, c in changes]
    if len(exercise.wrt) >= 2:
        mutants.append(Mutant("gradients in the wrong order", _order_swapped(len(values)),
                              None))
    return mutants


def _layer_ignores_upstream(first: int) -> Change:
    def change(exercise: Exercise, point: TestPoint, k: int, expected: Answer
               ) -> np.ndarray | None:
        if k < first:
            return None
        _, answers = reference_answers(exercise, point.inputs, np.ones_like(point.grad_output))
        return np.asarray(answers[k], dtype=float)
    return change


def _order_swapped(first: int) -> Change:
    """The first two gradients of one shape (else the first two), each in the other's
    place."""
    def change(exercise: Exercise, point: TestPoint, k: int, expected: Answer
               ) -> np.ndarray | None:
        grads = range(first, len(expected))
        pair = next(((a, b) for a in grads for b in grads
                     if a < b and expected[a].shape == expected[b].shape), (first, first + 1))
        if k not in pair:
            return None
        return expected[pair[1] if k == pair[0] else pair[0]]
    return change
