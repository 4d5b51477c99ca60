"""Checks inside a running notebook: an exercise's verdict right under the student's code.

>>> from gradcheck import notebook as gc        # doctest: +SKIP
>>> gc.use("sheet01")                           # doctest: +SKIP
>>> gc.check("1a")                              # doctest: +SKIP
>>> gc.check_all()                              # doctest: +SKIP

``check`` grades one exercise (or a group: ``"3a"`` is every exercise whose id starts with
it) against the functions and classes defined where it is called, at the sheet's test
points, and shows the result under the cell (HTML where the front end shows HTML, plain
text elsewhere); ``check_all`` shows the whole sheet's table. ``%load_ext gradcheck`` adds
the line magic ``%gradcheck 1a`` (``%gradcheck`` alone: the whole sheet).

The verdicts are ``gradcheck grade``'s for the same seed: the same test points
(``grader.prepare``), the same calls and conversions (``grading.inprocess``, which runs the
worker's code), the same judging and scoring (``grader.grade_exercise``). The student's
functions run in the student's own kernel, not in a sandbox; the grade that counts is the
one from ``gradcheck grade``, and every check says so.

What a check shows, and how, is :mod:`gradcheck.notebook.show`; which sheet a notebook
belongs to when ``use`` was not called, :mod:`gradcheck.notebook.sheets`. Imported by nothing
else in gradcheck (the command line never loads it); IPython is used only when it is there.
"""

from __future__ import annotations

import sys
import time
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gradcheck import __version__
from gradcheck.errors import GradcheckError
from gradcheck.grading import grader, graph, graphsource, messages
from gradcheck.grading.inprocess import InProcess
from gradcheck.notebook.sheets import guess_sheet, notebook_name
from gradcheck.notebook.show import Problem, Report, cell_label, show
from gradcheck.results import (
    DERIVATIVE,
    GRAPH,
    LAYER,
    LOSS,
    MANUAL,
    NODE,
    OBJECT,
    ExerciseResult,
    SheetResult,
)
from gradcheck.spec import Sheet, load_sheet

# the kinds a kernel can check: those whose answers come from requests a worker answers
IN_PROCESS_KINDS = (DERIVATIVE, NODE, LAYER, LOSS, OBJECT, MANUAL)


@dataclass
class _Choice:
    sheet: Sheet
    seed: int
    timeout: float | None
    prepared: grader.PreparedSheet | None = None


_chosen: _Choice | None = None


def use(sheet: str | Path, *, seed: int | None = None, timeout: float | None = None) -> None:
    """Check against ``sheet`` from now on: a bundled sheet's name or a spec file's path.

    ``seed`` (default: the spec's) draws the test points, as ``gradcheck grade --seed``;
    ``timeout`` is the seconds allowed per call (default: the spec's, else 5). A bad name
    or spec raises :class:`gradcheck.errors.SpecError` naming the file and line.

    >>> use("sheet01", seed=7)
    >>> _choice({}).sheet.name, _choice({}).seed
    ('sheet01', 7)
    >>> use("sheet01")
    """
    global _chosen
    loaded = load_sheet(sheet)
    _chosen = _Choice(loaded, loaded.seed if seed is None else int(seed), timeout)


def check(exercise: str, *, namespace: Mapping | None = None) -> Report:
    """Grade ``exercise`` (an id, or the start of several: ``"3a"``) against what is defined
    in the calling namespace (or ``namespace``), show the result and return it.

    >>> def d_1c(x):
    ...     import numpy as np
    ...     return np.exp(-x) / (1 + np.exp(-x)) ** 2
    >>> use("sheet01")
    >>> report = check("1c")                    # doctest: +ELLIPSIS
    1c  σ′(x) of the logistic sigmoid
    pass · 2/2 points · all 6 test points passed
    ...
    >>> report.exercises[0].score
    2.0
    """
    if namespace is None:
        namespace = _caller_namespace()
    try:
        choice = _choice(namespace)
        found = _select(choice.sheet, exercise)
    except GradcheckError as exc:
        return show(Problem(str(exc)))
    results = tuple(_grade(choice, found, namespace))
    return show(Report(choice.sheet.name, choice.seed, results,
                       warnings=forbidden_here(choice.sheet, namespace)))


def check_all(*, namespace: Mapping | None = None) -> Report:
    """Grade every exercise of the sheet, show the table and return it.

    >>> check_all().result.max_score            # doctest: +SKIP
    64.0
    """
    if namespace is None:
        namespace = _caller_namespace()
    try:
        choice = _choice(namespace)
    except GradcheckError as exc:
        return show(Problem(str(exc)))
    started = time.monotonic()
    sheet = choice.sheet
    results = tuple(messages.builds_on(sheet, list(_grade(choice, sheet.exercises, namespace))))
    automatic = [r for r in results if r.automatic]
    summary = SheetResult(
        sheet=sheet.name, title=sheet.title, module=sheet.module,
        submission=notebook_name(namespace) or "this notebook",
        score=round(sum(r.score for r in automatic), 6), max_score=sheet.max_score,
        manual_points=sheet.manual_points, seed=choice.seed, spec_sha256=sheet.sha256,
        gradcheck_version=__version__, exercises=results,
        warnings=forbidden_here(sheet, namespace), duration=round(time.monotonic() - started, 4))
    return show(Report(sheet.name, choice.seed, results, summary))


grade = check_all


# --- grading in the kernel ----------------------------------------------------------------------

def _grade(choice: _Choice, exercises, namespace: Mapping):
    if choice.prepared is None:
        choice.prepared = grader.prepare(choice.sheet, choice.seed, cache=True)
    filename = notebook_name(namespace) or "this notebook"
    ask = InProcess(namespace, filename=filename, label=cell_label)
    source = None
    for exercise in exercises:
        if exercise.kind == GRAPH:  # read from the cells this kernel ran, never run again
            source = source or _history(namespace, filename)
            yield graph.grade_graph(exercise, choice.prepared.points[exercise.id], source)
            continue
        if exercise.kind not in IN_PROCESS_KINDS:
            yield ExerciseResult(
                id=exercise.id, title=exercise.title, kind=exercise.kind,
                student=exercise.student, points=exercise.points, score=0.0, status=MANUAL,
                message=f"a {exercise.kind} exercise is checked only by `gradcheck grade "
                        f"{choice.sheet.name}`, not in the notebook")
            continue
        yield grader.grade_exercise(choice.prepared, exercise, ask, ask.defs,
                                    filename=filename, timeout=choice.timeout)


def forbidden_here(sheet: Sheet, namespace: Mapping) -> tuple[str, ...]:
    """Warnings for names in ``namespace`` that come from a package the sheet forbids
    (``gradcheck grade`` will not let the submission import it); this front end itself is
    allowed.

    >>> import math, gradcheck.engine
    >>> [w.split(":")[0] for w in forbidden_here(load_sheet("sheet01"),
    ...                                           {"math": math, "engine": gradcheck.engine})]
    ['engine comes from gradcheck, which sheet01 forbids']
    """
    found: dict[str, str] = {}
    for name, value in list(namespace.items()):
        if not isinstance(name, str) or name.startswith("_"):
            continue
        try:
            module = getattr(value, "__name__", None) if isinstance(value, type(sys)) \
                else getattr(value, "__module__", None)
        except Exception:  # noqa: BLE001 - a student's object may refuse to say
            continue
        if not isinstance(module, str) or module == __name__ \
                or module.startswith(__name__ + "."):   # this front end, gc and its reports
            continue
        package = next((p for p in sheet.forbid
                        if module == p or module.startswith(p + ".")), None)
        if package is not None:
            found.setdefault(package, name)
    return tuple(f"{name} comes from {package}, which {sheet.name} forbids: `gradcheck grade` "
                 "will not load a submission that imports it"
                 for package, name in found.items())


def _history(namespace: Mapping, filename: str) -> graphsource.Source:
    """The code the kernel ran (IPython's input history ``In``, in order) as one parsed text:
    graph exercises are read from it, where later definitions win as they did in the kernel."""
    cells = [c for c in namespace.get("In", ()) if isinstance(c, str) and c.strip()]
    return graphsource.parse_source("\n".join(cells) + "\n", filename)


def _select(sheet: Sheet, wanted: str) -> list:
    wanted = str(wanted).strip()
    exact = [e for e in sheet.exercises if e.id == wanted]
    found = exact or [e for e in sheet.exercises if wanted and e.id.startswith(wanted)]
    if not found:
        raise GradcheckError(f"{sheet.name} has no exercise {wanted!r} (its exercises: "
                             f"{', '.join(e.id for e in sheet.exercises)})")
    return found


def _caller_namespace() -> Mapping:
    frame = sys._getframe(2)   # the caller of check() / check_all()
    return ChainMap(frame.f_locals, frame.f_globals) \
        if frame.f_locals is not frame.f_globals else frame.f_globals


def _choice(namespace: Mapping) -> _Choice:
    global _chosen
    if _chosen is None:
        sheet = guess_sheet(notebook_name(namespace), Path.cwd())
        _chosen = _Choice(sheet, sheet.seed, None)
    return _chosen


# --- IPython extension --------------------------------------------------------------------------

def load_ipython_extension(ipython) -> None:
    """``%load_ext gradcheck``: the line magic ``%gradcheck``.

    ``%gradcheck 1a`` checks one exercise (several ids: each), ``%gradcheck`` or
    ``%gradcheck all`` the whole sheet, ``%gradcheck use sheet01`` chooses the sheet.
    """

    def gradcheck(line: str):
        words = line.split()
        namespace = ipython.user_ns
        if words[:1] == ["use"] and len(words) == 2:
            try:
                use(words[1])
            except GradcheckError as exc:
                return show(Problem(str(exc)))
            return None
        if not words or words == ["all"]:
            return check_all(namespace=namespace)
        for word in words[:-1]:
            check(word, namespace=namespace)
        return check(words[-1], namespace=namespace)

    ipython.register_magic_function(gradcheck, "line", "gradcheck")
