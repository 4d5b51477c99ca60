"""Spec self-test: does a spec really separate right answers from wrong ones?

``validate(sheet, solution=...)`` checks, exercise by exercise:

1. test points: every fixed point can be graded and the random points need few redraws (a
   redraw happens where the function or its derivative is not finite or too large, or where
   finite differences disagree with the reference backprop: not differentiable there, or
   the domain is wrong);
2. the reference solution scores full marks (graded in the sandbox, like a student);
3. mutants (``grading.mutants``): every typical wrong answer loses points wherever it differs
   from the truth. A mutant that differs from the truth somewhere in the domain (at one of
   ``PROBES`` extra random points) but passes every test point means the spec's points cannot
   tell it from the truth. A mutant equal to the truth everywhere (the transpose of a
   symmetric Jacobian, a factor applied to zeros) is "equivalent" and fine.

Findings are errors (the spec fails validation) or warnings; see ``docs/validate.md``.

>>> from gradcheck.spec import load_sheet
>>> sheet = load_sheet("sheet01")
>>> report = validate(sheet, solution=Path("solutions/sheet01.py"))  # doctest: +SKIP
>>> report.passed, len(report.errors)                                # doctest: +SKIP
(True, 0)
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gradcheck import compare
from gradcheck.errors import SpecError
from gradcheck.grading import grader, graphmutants, graphsource
from gradcheck.grading.findings import (
    CAUGHT,
    EQUIVALENT,
    ERROR,
    MISSED,
    WARNING,
    ExerciseValidation,
    Finding,
    MutantResult,
    ValidationReport,
)
from gradcheck.grading.mutants import Mutant, mutants_for
from gradcheck.results import GRAPH, PASS
from gradcheck.sandbox import Sandbox
from gradcheck.spec import Exercise, Sheet
from gradcheck.spec.sampling import TestPoint, sample_points

PROBES = 6                    # extra random points per exercise that tell whether a mutant
PROBE_SEED_OFFSET = 7919      # differs from the truth; drawn with seed + this offset
MAX_UNUSABLE_SHARE = 0.1      # more unusable random draws than this share fail validation
MUTANT_BUDGET = 60.0          # seconds for the mutants of a whole sheet; the rest are skipped


# --- finding the reference solution --------------------------------------------------------

def solution_candidates(sheet: Sheet, folder: Path = Path(".")) -> list[Path]:
    """Where a sheet's reference solution is looked for, in order: ``solutions/<module>.py``
    in ``folder``, then beside the spec's folder (``<spec dir>/../solutions``), then one
    level further up (a bundled spec inside the package of a source checkout).

    >>> from gradcheck.spec import load_sheet
    >>> [p.name for p in solution_candidates(load_sheet("sheet01"))][0]
    'sheet01.py'
    """
    name = f"{sheet.module}.py"
    spec_dir = Path(sheet.path).parent if sheet.path else Path(".")
    found = [folder / "solutions" / name, spec_dir.parent / "solutions" / name]
    resolved = spec_dir.resolve()
    found += [resolved.parent / "solutions" / name, resolved.parent.parent / "solutions" / name]
    unique: list[Path] = []
    for path in found:
        if all(path.resolve() != p.resolve() for p in unique):
            unique.append(path)
    return unique


def find_solution(sheet: Sheet, folder: Path = Path(".")) -> Path | None:
    """The first of ``solution_candidates`` that exists, else None.

    >>> from gradcheck.spec import load_sheet
    >>> find_solution(load_sheet("sheet01")).name      # in a source checkout
    'sheet01.py'
    """
    return next((p for p in solution_candidates(sheet, folder) if p.is_file()), None)


# --- the self-test -------------------------------------------------------------------------

def validate(sheet: Sheet, *, solution: Path | None, seed: int | None = None,
             sandbox: Sandbox | None = None, searched: list[Path] | None = None,
             budget: float = MUTANT_BUDGET) -> ValidationReport:
    """Validate ``sheet``: test points, the reference ``solution`` (None: a failure, naming
    the ``searched`` places), and the mutants. Never raises for a bad spec or solution: every
    problem is a finding in the report. ``sandbox`` (optional) grades the solution.
    The mutants of the whole sheet get ``budget`` seconds; those not tried by then (a spec
    too large to probe fully) are named in a warning, never counted as missed.

    >>> from gradcheck.spec import load_sheet
    >>> sheet = load_sheet("d2l-calculus")
    >>> report = validate(sheet, solution=find_solution(sheet))    # doctest: +SKIP
    >>> report.passed, [m.verdict for m in report.exercises[0].mutants][:2]  # doctest: +SKIP
    (True, ['caught', 'caught'])
    """
    started = time.monotonic()
    seed = sheet.seed if seed is None else seed
    sampled = {e.id: _sample(sheet, e, seed) for e in sheet.automatic}
    points = {i: s.points for i, s in sampled.items() if s.points is not None}
    sheet_findings: list[Finding] = []
    scores: dict[str, tuple[float, str]] = {}
    if solution is None:
        where = ", ".join(str(p) for p in searched or [])
        sheet_findings.append(Finding(ERROR, None, "solution", "no reference solution found; "
                                      "pass --solution FILE" + (f" (looked for {where})"
                                                                 if where else "")))
    elif points:
        scores, load_error = _grade_solution(sheet, seed, points, solution, sandbox)
        if load_error:
            sheet_findings.append(Finding(ERROR, None, "solution", f"the reference solution "
                                          f"{solution} did not load: {load_error}"))
    exercises = []
    deadline = time.monotonic() + budget
    for exercise in sheet.automatic:
        sample = sampled[exercise.id]
        findings = list(sample.findings)
        mutants: tuple[MutantResult, ...] = ()
        score = None
        if exercise.id in scores:
            score, message = scores[exercise.id]
            if score < exercise.points - 1e-9:
                findings.append(Finding(ERROR, exercise.id, "solution",
                                        f"the reference solution scores {score:g} of "
                                        f"{exercise.points:g} points: {message}"))
        if sample.points is not None and exercise.kind == GRAPH:  # wrong lines, not arrays
            mutants = _graph_mutants(exercise, sample.points, solution)
            missed = [m.name for m in mutants if m.verdict == MISSED]
            if missed:
                findings.append(Finding(ERROR, exercise.id, "mutants", (
                    f"the reference solution with {', '.join(missed)} keeps its points: "
                    "the part cannot tell these mistakes from the answer")))
        elif sample.points is not None:
            probes = _probes(exercise, seed)
            if not probes:
                findings.append(Finding(WARNING, exercise.id, "mutants", (
                    "no extra random points could be drawn to probe the mutants, so a "
                    "mutant equal to the truth at the test points counts as equivalent")))
            mutants, skipped = _run_mutants(exercise, sample.points, probes, deadline)
            if skipped:
                findings.append(_skipped(exercise, skipped, budget, sample.points))
            missed = [m.name for m in mutants if m.verdict == MISSED]
            if missed:
                findings.append(_missed(exercise, missed))
            if mutants and all(m.verdict == EQUIVALENT for m in mutants):
                findings.append(Finding(WARNING, exercise.id, "mutants", (
                    "every generated wrong answer equals the truth at every point: the "
                    "answer cannot be told from its mistakes (is the derivative zero "
                    "everywhere?)")))
        exercises.append(ExerciseValidation(
            id=exercise.id, title=exercise.title, kind=exercise.kind, points=exercise.points,
            test_points=len(sample.points or ()), draws=sample.draws, rejected=sample.rejected,
            score=score, mutants=mutants, findings=tuple(findings)))
    return ValidationReport(
        sheet=sheet.name, title=sheet.title, spec=sheet.path,
        solution=None if solution is None else str(solution), seed=seed,
        exercises=tuple(exercises), findings=tuple(sheet_findings),
        duration=round(time.monotonic() - started, 3))


@dataclass(frozen=True)
class _Sample:
    points: tuple[TestPoint, ...] | None
    draws: int
    rejected: dict[str, int]
    findings: tuple[Finding, ...]


def _sample(sheet: Sheet, exercise: Exercise, seed: int) -> _Sample:
    rejected: dict[str, int] = {}
    wanted = sum(entry.get("random", 0) for entry in exercise.points_at)
    try:
        points = tuple(sample_points(exercise, seed, rejected=rejected,
                                     file=sheet.path or None))
    except SpecError as exc:
        return _Sample(None, wanted + sum(rejected.values()), rejected,
                       (Finding(ERROR, exercise.id, "points", exc.text(exercise=False)),))
    draws = wanted + sum(rejected.values())
    unusable = {r: n for r, n in rejected.items() if not r.startswith("the constraint")}
    findings = []
    if unusable:
        count = sum(unusable.values())
        worst = max(unusable, key=unusable.get)
        severity = ERROR if count > MAX_UNUSABLE_SHARE * draws else WARNING
        findings.append(Finding(severity, exercise.id, "points", (
            f"{count} of {draws} random draws were redrawn (most often: {worst}); the domain "
            "reaches points where the function is not defined or not differentiable, or the "
            "function is not what was meant")))
    return _Sample(points, draws, rejected, tuple(findings))


def _grade_solution(sheet: Sheet, seed: int, points: Mapping[str, tuple[TestPoint, ...]],
                    solution: Path, sandbox: Sandbox | None
                    ) -> tuple[dict[str, tuple[float, str]], str | None]:
    """Grade the reference solution on the exercises whose points could be drawn."""
    gradable = tuple(e for e in sheet.exercises if not e.automatic or e.id in points)
    prepared = grader.PreparedSheet(sheet=dataclasses.replace(sheet, exercises=gradable),
                                    seed=seed, points=points)
    result = grader.grade(prepared, solution, sandbox=sandbox)
    if result.load_error:
        return {}, result.load_error
    return {e.id: (e.score, e.message) for e in result.exercises if e.id in points}, None


def _probes(exercise: Exercise, seed: int) -> tuple[TestPoint, ...]:
    """Random points beyond the spec's own, to tell whether a mutant differs anywhere."""
    probing = dataclasses.replace(exercise, points_at=({"random": PROBES},))
    try:
        return tuple(sample_points(probing, seed + PROBE_SEED_OFFSET))
    except SpecError:
        return ()


def _run_mutants(exercise: Exercise, points: tuple[TestPoint, ...],
                 probes: tuple[TestPoint, ...], deadline: float = float("inf")
                 ) -> tuple[tuple[MutantResult, ...], list[str]]:
    """The mutants' results, and the names of those not decided before ``deadline``."""
    results, skipped = [], []
    quotients: dict = {}
    for mutant in mutants_for(exercise):
        caught = applies = 0
        differs = False
        if time.monotonic() > deadline:
            skipped.append(mutant.name)
            continue
        for point in points:
            if time.monotonic() > deadline:
                break   # once caught, caught; otherwise undecided
            answer = mutant.answer(exercise, point)
            if answer is None:
                continue
            applies += 1
            verdict = grader.judge(exercise, point, answer, quotients=quotients,
                                   diagnose=False)
            caught += verdict.status != PASS
            differs = differs or verdict.status != PASS  # a passing verdict: no difference
        if time.monotonic() > deadline and not caught:
            skipped.append(mutant.name)   # undecided: neither caught nor missed
            continue
        for point in probes:
            if differs:
                break
            answer = mutant.answer(exercise, point)
            differs = answer is not None and _differs(exercise, point, answer)
        if applies or differs:  # a mistake no test point can show is missed too
            results.append(MutantResult(mutant.name, caught, applies, differs))
    return tuple(results), skipped


def _skipped(exercise: Exercise, names: list[str], budget: float,
             points: tuple[TestPoint, ...]) -> Finding:
    entries = max((int(np.size(v)) for p in points for v in p.inputs.values()), default=0)
    return Finding(WARNING, exercise.id, "mutants", (
        f"not tried within validate's time budget ({budget:g} s for the mutants of the "
        f"sheet): {', '.join(names)}; the spec is too large to probe fully (inputs of up to "
        f"{entries} entries), so the test points may not catch these mistakes"))


def _graph_mutants(exercise: Exercise, points: tuple[TestPoint, ...],
                   solution: Path | None) -> tuple[MutantResult, ...]:
    """The reference solution's text with one typical mistake each (``graphmutants``)."""
    if solution is None:
        return ()
    source = graphsource.read_source(solution)
    return tuple(MutantResult(name, int(caught), 1, True)
                 for name, caught in graphmutants.run(exercise, points, source))


def _differs(exercise: Exercise, point: TestPoint, answer: tuple) -> bool:
    tol = exercise.tolerance
    return any(not compare.compare(expected, received, rtol=tol.rtol, atol=tol.atol).passed
               for expected, received in zip(point.expected, answer, strict=True))


def _missed(exercise: Exercise, names: list[str]) -> Finding:
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    which = "mutant passes" if len(names) == 1 else "mutants pass"
    return Finding(ERROR, exercise.id, "mutants", (
        f"the {listed} {which} every test point — the points cannot tell "
        f"{'it' if len(names) == 1 else 'them'} from the truth, which differs elsewhere in "
        "the domain; add test points where they differ (random ones, or other fixed ones)"))


def mutant_names(exercise: Exercise) -> list[str]:
    """The names of the mutants tried on ``exercise``.

    >>> from gradcheck.spec import load_sheet
    >>> mutant_names(load_sheet("sheet01").exercise("1a"))[:2]
    ['sign flipped', 'factor 2']
    """
    return [m.name for m in mutants_for(exercise)]


__all__ = ["CAUGHT", "EQUIVALENT", "ERROR", "MISSED", "WARNING", "ExerciseValidation",
           "Finding", "Mutant", "MutantResult", "ValidationReport", "find_solution",
           "mutant_names", "solution_candidates", "validate"]
