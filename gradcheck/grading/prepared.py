"""A sheet prepared for grading: its test points and reference answers for one seed, and what
failing answers have needed at those points, shared by every submission graded with it.

>>> from gradcheck.spec import load_sheet
>>> prepared = prepare(load_sheet("sheet01"), 1)
>>> len(prepared.points["1a"]), prepared.found() > 0   # its fixed points were checked
(6, True)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from gradcheck.errors import SpecError
from gradcheck.numeric import QuotientModel
from gradcheck.spec import Exercise, Sheet, pointcache
from gradcheck.spec.pointcache import Evaluations
from gradcheck.spec.sampling import (
    TestPoint,
    agreement_problem,
    fixed_point_error,
    sample_points,
)


@dataclass(frozen=True)
class PreparedSheet:
    """A sheet with its test points and reference answers for one seed, computed once and
    reused for every submission (batch grading).

    What only a failing answer needs is computed when the first one needs it and kept for
    every later submission: whether finite differences agree with the reference at a point
    (``agreement``), and the model that recognises a difference quotient in an answer
    (``quotients``, keyed by point and answer; see ``grading.judge``).
    """

    sheet: Sheet
    seed: int
    points: Mapping[str, tuple[TestPoint, ...]]
    cached: bool = False   # findings are read from and saved to the point cache
    quotients: dict = field(default_factory=dict, compare=False, repr=False)
    # the same for every submission: requests (by exercise and timeout), and the function's
    # value at the points of graph exercises
    requests: dict = field(default_factory=dict, compare=False, repr=False)
    values: dict = field(default_factory=dict, compare=False, repr=False)
    _agreement: dict = field(default_factory=dict, compare=False, repr=False)
    _state: dict = field(default_factory=dict, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def check_fixed(self, found: Callable[[], list] | None = None) -> None:
        """Raise the spec error of a fixed test point that cannot be graded, as drawing the
        points does (``prepare(..., check_fixed=False)`` leaves this for later, e.g. for a
        thread while the submission loads); checked once, and callable from several threads.

        ``found`` returns what another process found checking these points (the rows of
        :meth:`findings`; ``grading.aside``), taken up first, with the lock held: a caller
        meanwhile waits for them. Only points it did not check are checked here.
        """
        with self._lock:
            if "problem" not in self._state:
                if found is not None:
                    try:
                        self.take_up(found())
                    except ValueError:
                        pass   # checked here instead
                self._state["problem"] = self._fixed_problem()
        if self._state["problem"] is not None:
            raise self._state["problem"]

    def _fixed_problem(self) -> SpecError | None:
        for exercise in self.sheet.automatic:
            entries = [i for i, entry in enumerate(exercise.points_at) if "random" not in entry]
            fixed = [point for point in self.points[exercise.id] if point.fixed]
            for index, point in zip(entries, fixed, strict=False):
                with np.errstate(all="ignore"):
                    problem = self.agreement(exercise, point)
                if problem:
                    return fixed_point_error(exercise, index, problem, self.sheet.path or None)
        return None

    def agreement(self, exercise: Exercise, point: TestPoint) -> str:
        """Why the reference at ``point`` cannot be trusted ("" when it can), computed once."""
        if point.verified:
            return ""
        key = id(point)
        if key not in self._agreement:
            self._agreement[key] = agreement_problem(exercise, point)
        return self._agreement[key]

    def found(self) -> int:
        """How much checking the fixed points and failing answers have needed so far (it
        only grows): the agreement checks, and the spec function's evaluations kept for
        recognising difference quotients."""
        return len(self._agreement) + sum(1 + len(m.memo) for m in self._models().values())

    def _models(self) -> dict:
        """The difference-quotient models (or the evaluations recalled for one), by key."""
        return {key: found for key, found in self.quotients.items()
                if isinstance(key[0], int) and isinstance(found, (QuotientModel, Evaluations))}

    def hand(self) -> tuple[list, bytes]:
        """What another process needs to grade with these points without drawing or
        checking them again (:func:`take`): what checking them found (:meth:`findings`),
        and the points as bytes."""
        return self.findings(), pointcache.dumps(self.points)

    def findings(self) -> list:
        """What checking the points found so far, as JSON-ready ``[exercise id, point index,
        problem]`` rows (problem "" where the reference can be trusted)."""
        places = self._places()
        return [[*places[key], problem] for key, problem in self._agreement.items()]

    def take_up(self, rows: list) -> None:
        """Take up the :meth:`findings` of another process that checked these points;
        ValueError when they do not fit them."""
        try:
            for e, i, problem in rows:
                self._agreement[id(self.points[e][int(i)])] = str(problem)
        except (KeyError, IndexError, TypeError, ValueError):
            raise ValueError(f"the findings handed over do not fit {self.sheet.name}") from None

    def _places(self) -> dict[int, tuple[str, int]]:
        return {id(p): (e, i) for e, points in self.points.items() for i, p in enumerate(points)}

    def recall(self) -> None:
        """Take up what earlier runs found at failing points (from the point cache): the
        agreement checks, and the evaluations from which a difference-quotient model is
        built when an answer first needs it (``grading.judge``)."""
        agreement, evaluations = pointcache.load_findings(self.sheet.sha256, self.seed)
        for e, points in self.points.items():
            for i, point in enumerate(points):
                if (e, i) in agreement:
                    self._agreement[id(point)] = agreement[(e, i)]
                for k in range(len(point.expected)):
                    if (e, i, k) in evaluations:
                        self.quotients[(id(point), k)] = evaluations[(e, i, k)]

    def save_findings(self) -> None:
        """:meth:`remember` what is new since the last save, when the point cache is in use."""
        if self.cached and self._state.get("saved") != self.found():
            self._state["saved"] = self.found()
            self.remember()

    def remember(self) -> None:
        """Save what failing answers needed so far, for the next run (point cache)."""
        places = self._places()
        agreement = {places[key]: problem for key, problem in self._agreement.items()}
        evaluations = {(*places[key[0]], key[1]): Evaluations(found.f0, dict(found.memo))
                       if isinstance(found, QuotientModel) else found
                       for key, found in self._models().items()}
        pointcache.store_findings(self.sheet.sha256, self.seed, (agreement, evaluations))


def take(sheet: Sheet, seed: int, checked: list, data: bytes) -> PreparedSheet:
    """The sheet as another process prepared it (:meth:`PreparedSheet.hand`): its points
    from ``data`` and what checking them found (``checked``), so that this process neither
    draws nor checks them again (a batch's grading processes). Raises ValueError when they
    do not fit ``sheet``.

    >>> from gradcheck.spec import load_sheet
    >>> there = prepare(load_sheet("sheet01"), 3)
    >>> here = take(load_sheet("sheet01"), 3, *there.hand())
    >>> here.found() == there.found(), len(here.points["1a"])
    (True, 6)
    """
    points = pointcache.loads(data)
    if points is None or set(points) != {e.id for e in sheet.automatic}:
        raise ValueError(f"the test points handed over do not fit {sheet.name}")
    prepared = PreparedSheet(sheet=sheet, seed=seed, points=points)
    prepared.take_up(checked)
    prepared.check_fixed()   # only what was not handed over is checked here
    return prepared


def prepare(sheet: Sheet, seed: int | None = None, *, cache: bool = False,
            check_fixed: bool = True) -> PreparedSheet:
    """Draw every exercise's test points and compute their reference answers.

    ``cache=True`` reuses points saved by an earlier run with the same spec file, seed and
    versions (see ``pointcache``), and what earlier runs found at failing points; grading
    saves what it finds there. Authoritative grading (batch, CI) leaves it off.
    A fixed point that cannot be graded is a spec error (SpecError); ``check_fixed=False``
    leaves that check to :meth:`PreparedSheet.check_fixed`, which ``grade`` calls before it
    returns a result.
    """
    seed = sheet.seed if seed is None else seed
    points = pointcache.load(sheet.sha256, seed) if cache else None
    if points is None or set(points) != {e.id for e in sheet.automatic}:
        points = {e.id: tuple(sample_points(e, seed, file=sheet.path or None, verify=False,
                                            verify_fixed=False))
                  for e in sheet.automatic}
        if cache:
            pointcache.store(sheet.sha256, seed, points)
    prepared = PreparedSheet(sheet=sheet, seed=seed, points=points, cached=cache)
    if cache:
        prepared.recall()
        prepared._state["saved"] = prepared.found()
    if check_fixed:
        prepared.check_fixed()
    return prepared
