"""Grading: a sheet and a submission -> ``SheetResult``. The only module that combines the
others: spec and sampling (what to ask), sandbox (the student's answers, from a child
process), compare (the verdicts, decided here in the grader's process: each answer by
:func:`gradcheck.grading.judge.judge`).

One exercise is graded by :func:`grade_exercise`, whatever answers the requests: a sandbox
worker (``Session.pipeline``, here) or another *ask* function with the same contract
(``grading.inprocess`` calls into a notebook's running kernel).

>>> from gradcheck.spec import load_sheet
>>> result = grade(load_sheet("sheet01"), Path("solutions/sheet01.py"))  # doctest: +SKIP
>>> result.score, result.max_score                                        # doctest: +SKIP
(100.0, 100.0)
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path

from gradcheck import __version__
from gradcheck.grading import graph, layer, messages, objects
from gradcheck.grading.choice import SUBMISSION_SUFFIXES, find_submission
from gradcheck.grading.graphsource import read_source
from gradcheck.grading.hints import did_you_mean
from gradcheck.grading.ipynb import ipynb_line
from gradcheck.grading.judge import difference_quotients, judge, point_inputs
from gradcheck.grading.prepared import PreparedSheet, prepare, take
from gradcheck.results import (
    ERROR,
    FAIL,
    GRAPH,
    LAYER,
    LOSS,
    MANUAL,
    NODE,
    NOT_IMPLEMENTED,
    OBJECT,
    PASS,
    TIMEOUT,
    ExerciseResult,
    PointResult,
    SheetResult,
)
from gradcheck.sandbox import CallOutcome, Request, Sandbox, Session
from gradcheck.sandbox.limits import check_timeout
from gradcheck.spec import Exercise, Sheet
from gradcheck.spec.sampling import TestPoint

__all__ = ["grade", "grade_exercise", "find_submission", "prepare", "take", "judge",
           "difference_quotients", "PreparedSheet", "DEFAULT_TIMEOUT", "SUBMISSION_SUFFIXES"]

DEFAULT_TIMEOUT = 5.0
# What answers the requests of one exercise: ``ask(requests, stop=statuses)`` returns one
# outcome per request in order, cut after the first whose status is in ``stop``
# (``Session.pipeline``).
Ask = Callable[..., Sequence[CallOutcome]]


def grade(sheet: Sheet | PreparedSheet, submission: Path, *, seed: int | None = None,
          timeout: float | None = None, sandbox: Sandbox | None = None,
          session: Session | Future[Session] | None = None) -> SheetResult:
    """Grade one submission in an isolated worker and return the full result.

    ``session``: the submission already opened (``sandbox.open(submission,
    module=sheet.module, forbid=sheet.forbid)``), e.g. while another one was being graded,
    or a future of it (the graph exercises, which need no worker, are read while it opens);
    it is closed when grading ends. A fixed test point that cannot be graded raises
    SpecError, whoever answers there (see :meth:`PreparedSheet.check_fixed`).
    """
    started = time.monotonic()
    if timeout is not None:
        timeout = check_timeout(timeout)
    prepared = sheet if isinstance(sheet, PreparedSheet) else prepare(sheet, seed)
    result = _grade_opened(prepared, Path(submission), sandbox, session, timeout, started)
    prepared.check_fixed()
    prepared.save_findings()
    return result


def _grade_opened(prepared: PreparedSheet, submission: Path, sandbox: Sandbox | None,
                  session: Session | Future[Session] | None, timeout: float | None,
                  started: float) -> SheetResult:
    if session is not None:
        try:
            return _grade_session(prepared, submission, session, timeout, started)
        finally:
            _close(session)
    own_sandbox = sandbox is None
    if own_sandbox:
        sandbox = Sandbox()
    try:
        session = sandbox.open(submission, module=prepared.sheet.module,
                               forbid=prepared.sheet.forbid)
        try:
            return _grade_session(prepared, submission, session, timeout, started)
        finally:
            session.close()
    finally:
        if own_sandbox:
            sandbox.close()


def _close(session: Session | Future[Session]) -> None:
    if isinstance(session, Future):
        try:
            session = session.result()
        except Exception:  # noqa: BLE001 - it did not open: nothing to close
            return
    session.close()


def _graphs(prepared: PreparedSheet, submission: Path) -> dict[str, ExerciseResult]:
    """The graph exercises, read as text and never run (grading/graph.py)."""
    exercises = [e for e in prepared.sheet.automatic if e.kind == GRAPH]
    source = read_source(submission) if exercises else None
    return {e.id: graph.grade_graph(e, prepared.points[e.id], source, prepared.values)
            for e in exercises}


def _grade_session(prepared: PreparedSheet, submission: Path,
                   session: Session | Future[Session], timeout: float | None,
                   started: float) -> SheetResult:
    sheet = prepared.sheet
    timeout = timeout or sheet.timeout or DEFAULT_TIMEOUT
    # While the submission still opens, its graph exercises are read (unused if it then
    # does not load: those exercises fail as every other one).
    early = _graphs(prepared, submission) if isinstance(session, Future) \
        and not session.done() else None
    if isinstance(session, Future):
        session = session.result()
    load = session.load
    graphs = early if early is not None else _graphs(prepared, submission) if load.ok else {}
    exercises = []
    for exercise in sheet.exercises:
        if exercise.automatic and not load.ok:
            exercises.append(_result(exercise, ERROR,
                                     f"{submission.name} did not load: {load.error}"))
        elif exercise.kind == GRAPH:
            exercises.append(graphs[exercise.id])
        else:
            exercises.append(grade_exercise(prepared, exercise, session.pipeline, load.defs,
                                            filename=submission.name, timeout=timeout))
    if load.ok:   # a later exercise that fails with one it builds on says so
        exercises = messages.builds_on(sheet, exercises)
    if submission.suffix.lower() == ".ipynb":   # annotations name lines of the raw file
        exercises = [dataclasses.replace(e, line_no=ipynb_line(
            submission, e.student, kind="class" if e.kind in (NODE, OBJECT) else "function"))
            if e.line_no and e.student else e for e in exercises]
    score = round(sum(e.score for e in exercises), 6)
    return SheetResult(
        sheet=sheet.name, title=sheet.title, module=sheet.module, submission=str(submission),
        score=score, max_score=sheet.max_score, manual_points=sheet.manual_points,
        seed=prepared.seed, spec_sha256=sheet.sha256, gradcheck_version=__version__,
        exercises=tuple(exercises), warnings=tuple(load.warnings),
        load_error=None if load.ok else load.error, output=load.output,
        duration=round(time.monotonic() - started, 4))


def _result(exercise: Exercise, status: str, message: str, **extra) -> ExerciseResult:
    return ExerciseResult(id=exercise.id, title=exercise.title, kind=exercise.kind,
                          student=exercise.student, points=exercise.points, score=0.0,
                          status=status, message=message, **extra)


def grade_exercise(prepared: PreparedSheet, exercise: Exercise, ask: Ask,
                   defs: Mapping[str, Mapping], *, filename: str,
                   timeout: float | None = None) -> ExerciseResult:
    """One exercise of ``prepared``: its test points asked through ``ask``, every answer
    judged, partial credit and the summary message.

    ``defs`` describes the submission's top-level names as a worker lists them
    (``LoadReport.defs``: name -> {"kind": "function" | "class" | "other", "line": ...});
    ``filename`` is how messages name the submission; ``timeout`` (seconds per call)
    defaults to the spec's.

    >>> import numpy as np
    >>> from gradcheck.sandbox import CallOutcome
    >>> from gradcheck.spec import load_sheet
    >>> prepared = prepare(load_sheet("sheet01"))
    >>> exercise = prepared.sheet.exercise("1c")
    >>> def ask(requests, stop=()):   # always 0.25: right only where x = 0
    ...     return [CallOutcome("ok", np.array(0.25)) for _ in requests]
    >>> result = grade_exercise(prepared, exercise, ask, {"d_1c": {"kind": "function"}},
    ...                         filename="sheet01.py")
    >>> result.status, result.score, result.points_passed
    ('fail', 0.333333, 1)
    """
    if not exercise.automatic:
        return _result(exercise, MANUAL, "scored by hand")
    timeout = timeout or prepared.sheet.timeout or DEFAULT_TIMEOUT
    grader = _ExerciseGrader(exercise, prepared, ask, filename, timeout)
    return grader.run(defs)


class _ExerciseGrader:
    """Asks the student's function at every test point and judges each answer."""

    def __init__(self, exercise: Exercise, prepared: PreparedSheet, ask: Ask, filename: str,
                 timeout: float):
        self.exercise = exercise
        self.prepared = prepared
        self.points = prepared.points[exercise.id]
        self.ask = ask
        self.filename = filename
        self.timeout = timeout

    def run(self, defs: Mapping[str, Mapping]) -> ExerciseResult:
        ex = self.exercise
        where = defs.get(ex.student)
        location = dict(filename=self.filename,
                        line_no=where.get("line") if where else None)
        if where is None:
            kind = "class" if ex.kind in (NODE, OBJECT) else "function"
            return _result(ex, NOT_IMPLEMENTED, f"{self.filename} defines no {kind} "
                           f"{ex.student}{did_you_mean(ex.student, defs, kind)}", **location)
        expected_kind = "class" if ex.kind in (NODE, OBJECT) else "function"
        if where.get("kind") != expected_kind:
            return _result(ex, ERROR, f"{ex.student} should be a {expected_kind}, but it is "
                           f"a {where.get('kind', 'value')}", **location)
        if ex.kind == LAYER and defs.get(ex.backward, {}).get("kind") != "function":
            return _result(ex, NOT_IMPLEMENTED, f"{self.filename} defines no function "
                           f"{ex.backward}", **location)
        started = time.monotonic()
        results: list[PointResult] = []
        output: list[str] = []
        # Every point is asked at once (pipelined); the worker stops being asked after a
        # timeout, "not implemented" or a crash, and the remaining points are marked not run.
        outcomes = self.ask(self._requests(),
                            stop=(TIMEOUT, NOT_IMPLEMENTED, "crashed"))
        for point, outcome in zip(self.points, outcomes, strict=False):  # may stop early
            if outcome.output:
                output.append(outcome.output)
            results.append(self._judge(point, outcome))
        for point in self.points[len(outcomes):]:
            results.append(PointResult(status=results[-1].status, inputs=point_inputs(point),
                                       message=f"not run after {results[-1].status}"))
        passed = sum(1 for r in results if r.passed)
        status = min((r.status for r in results), key=messages.STATUS_ORDER.index)
        score = round(ex.points * passed / len(results), 6)
        message = messages.summary(results, passed, ex, [messages.point_sizes(ex, p)
                                                         for p in self.points])
        return ExerciseResult(
            id=ex.id, title=ex.title, kind=ex.kind, student=ex.student, points=ex.points,
            score=score, status=status, message=message, checks=tuple(results),
            duration=round(time.monotonic() - started, 4), output="".join(output), **location)

    def _requests(self) -> list[Request]:
        """One request per test point, made once per prepared sheet and timeout: the same
        for every submission."""
        key = (self.exercise.id, self.timeout)
        made = self.prepared.requests
        if key not in made:
            made[key] = [self._request(p) for p in self.points]
        return made[key]

    def _request(self, point: TestPoint) -> Request:
        ex = self.exercise
        if ex.kind in (LAYER, LOSS):
            return layer.request(ex, point, self.timeout)
        if ex.kind == OBJECT:
            return objects.request(ex, point, self.timeout)
        if ex.kind == NODE:
            return Request.node(ex.student, point.args(), point.grad_output,
                                timeout=self.timeout, params=ex.param_values(),
                                grads=len(ex.differentiable), grad_names=[
                                    f"the gradient of {n}" for n in ex.differentiable])
        arity = len(ex.wrt) if ex.multi else None
        return Request.call(ex.student, point.args(), arity=arity, timeout=self.timeout,
                            params=ex.param_values())

    def _judge(self, point: TestPoint, outcome: CallOutcome) -> PointResult:
        if outcome.status != "ok":
            status = {"timeout": TIMEOUT, "not implemented": NOT_IMPLEMENTED}.get(
                outcome.status, ERROR)
            return PointResult(status=status, inputs=point_inputs(point), message=outcome.message,
                               duration=outcome.duration)
        result = judge(self.exercise, point, outcome.value, duration=outcome.duration,
                       quotients=self.prepared.quotients)
        if result.status == FAIL and (problem := self.prepared.agreement(self.exercise, point)):
            return PointResult(status=PASS, inputs=result.inputs, duration=outcome.duration,
                               message=f"not graded at this point ({problem}): counts as "
                               "passed")
        return result
