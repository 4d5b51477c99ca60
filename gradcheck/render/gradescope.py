"""Gradescope autograder ``results.json`` (``--format gradescope``).

Follows Gradescope's autograder specification: top-level ``score`` (set explicitly, so it
is the automatic total even though it would also be the sum of the tests),
``execution_time`` (seconds), ``output`` (a plain-text summary), ``output_format`` and
``test_output_format`` (``"text"``: student-controlled text is never rendered as HTML or
Markdown), ``visibility``, ``stdout_visibility`` (``"hidden"``: the autograder's log stays
with the instructors), ``extra_data`` (seed, spec hash, version: what is needed to
reproduce the grade) and ``tests``: one per *automatic* exercise with ``name``, ``number``
(the exercise id), ``score``, ``max_score``, ``status`` (``"passed"``/``"failed"``: a
partially credited exercise is failed), ``output`` (diagnosis and worst test point),
``output_format``, ``tags`` (the exercise kind) and ``visibility``.

Manual exercises are not tests: their points are graded on Gradescope by hand (as
manually graded questions of the assignment), so a ``0/36`` test would only mislead. They
are listed in the top-level ``output`` and in ``extra_data["manual"]``.
"""

from __future__ import annotations

from typing import Any

from gradcheck.render.common import (
    detail_lines,
    exercise_name,
    fmt_num,
    printable,
    total_line,
    worst_point,
)
from gradcheck.results import PASS, ExerciseResult, SheetResult
from gradcheck.results.jsondata import strict_json


def _test(exercise: ExerciseResult) -> dict[str, Any]:
    lines = []
    if exercise.checks:
        lines.append(f"{exercise.points_passed} of {len(exercise.checks)} test points passed.")
    if exercise.message:
        lines.append(printable(exercise.message))
    point = worst_point(exercise)
    if point is not None:
        lines.append("Worst test point:")
        lines += [printable(line) for line in detail_lines(point)]
    return {
        "name": exercise_name(exercise),
        "number": exercise.id,
        "score": exercise.score,
        "max_score": exercise.points,
        "status": "passed" if exercise.status == PASS else "failed",
        "output": "\n".join(lines),
        "output_format": "text",
        "tags": [exercise.kind],
        "visibility": "visible",
    }


def _summary(result: SheetResult) -> str:
    lines = [f"{result.sheet}: {total_line(result)}."]
    if result.load_error:
        lines += ["", "The submission did not load, so every exercise scores 0:",
                  printable(result.load_error)]
    lines += [f"warning: {printable(w)}" for w in result.warnings]
    manual = [e for e in result.exercises if not e.automatic]
    if manual:
        lines += ["", "Scored by hand (not part of this score):"]
        lines += [f"  {exercise_name(e)}: {fmt_num(e.points)} points" for e in manual]
    return "\n".join(lines)


def gradescope_results(result: SheetResult) -> dict[str, Any]:
    """The ``results.json`` object as a dict (see the module docstring for the fields)."""
    return {
        "score": result.score,
        "execution_time": round(result.duration, 3),
        "output": _summary(result),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {
            "sheet": result.sheet,
            "max_score": result.max_score,
            "seed": result.seed,
            "spec_sha256": result.spec_sha256,
            "gradcheck_version": result.gradcheck_version,
            "load_error": result.load_error,
            "manual": [{"id": e.id, "title": e.title, "points": e.points}
                       for e in result.exercises if not e.automatic],
        },
        "tests": [_test(e) for e in result.exercises if e.automatic],
    }


def to_gradescope(result: SheetResult) -> str:
    """Gradescope's ``results.json`` for a graded sheet, as strict JSON text.

    >>> from gradcheck.results import SheetResult
    >>> empty = SheetResult(sheet="s", title="", module="s", submission="s.py", score=0.0,
    ...                     max_score=0.0, manual_points=0.0, seed=1, spec_sha256="ab",
    ...                     gradcheck_version="0.1.0", exercises=())
    >>> import json
    >>> json.loads(to_gradescope(empty))["tests"]
    []
    """
    return strict_json(gradescope_results(result), indent=2)
