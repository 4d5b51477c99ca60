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

Imported by nothing else in gradcheck (the command line never loads it); IPython is used
only when it is there.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gradcheck import __version__
from gradcheck.errors import GradcheckError, SpecError
from gradcheck.grading import grader, graph, graphsource
from gradcheck.grading.inprocess import InProcess
from gradcheck.render import notebook as view
from gradcheck.render.common import fmt_num
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
from gradcheck.spec import Sheet, bundled_sheets, load_sheet

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
        return _show(_Problem(str(exc)))
    results = tuple(_grade(choice, found, namespace))
    return _show(Report(choice.sheet.name, choice.seed, results,
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
        return _show(_Problem(str(exc)))
    started = time.monotonic()
    sheet = choice.sheet
    results = tuple(_grade(choice, sheet.exercises, namespace))
    automatic = [r for r in results if r.automatic]
    summary = SheetResult(
        sheet=sheet.name, title=sheet.title, module=sheet.module,
        submission=_notebook_name(namespace) or "this notebook",
        score=round(sum(r.score for r in automatic), 6), max_score=sheet.max_score,
        manual_points=sheet.manual_points, seed=choice.seed, spec_sha256=sheet.sha256,
        gradcheck_version=__version__, exercises=results,
        warnings=forbidden_here(sheet, namespace), duration=round(time.monotonic() - started, 4))
    return _show(Report(sheet.name, choice.seed, results, summary))


grade = check_all


# --- what is shown ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Report:
    """What a check shows: the exercises' results (``exercises``), and for the whole sheet
    the :class:`~gradcheck.results.SheetResult` (``result``)."""

    sheet: str
    seed: int
    exercises: tuple[ExerciseResult, ...]
    result: SheetResult | None = None
    warnings: tuple[str, ...] = ()

    def text(self) -> str:
        if self.result is not None:
            return view.sheet_text(self.result)
        return view.exercises_text(self.exercises, sheet=self.sheet, seed=self.seed,
                                   warnings=self.warnings)

    def html(self) -> str:
        if self.result is not None:
            return view.sheet_html(self.result)
        return view.exercises_html(self.exercises, sheet=self.sheet, seed=self.seed,
                                   warnings=self.warnings)

    def __repr__(self) -> str:
        score = sum(e.score for e in self.exercises if e.automatic)
        points = sum(e.points for e in self.exercises if e.automatic)
        names = ", ".join(e.id for e in self.exercises) if self.result is None else self.sheet
        return f"<gradcheck {names}: {fmt_num(score)}/{fmt_num(points)} points>"

    def _ipython_display_(self) -> None:
        _display(self)


@dataclass(frozen=True)
class _Problem:
    """A check that could not start (no sheet chosen, an unknown exercise)."""

    message: str

    def text(self) -> str:
        return f"gradcheck: {self.message}"

    def html(self) -> str:
        return view.problem_html(self.message)

    def __repr__(self) -> str:
        return self.text()

    def _ipython_display_(self) -> None:
        _display(self)


_shown: dict[int, int] = {}   # id of a report -> the execution count it was shown in


def _show(report):
    """Show ``report`` under the running cell now; returned as the cell's last value, it is
    not shown a second time."""
    shell = _shell()
    if shell is None:
        print(report.text())
        return report
    from IPython.display import display

    display({"text/plain": report.text(), "text/html": report.html()}, raw=True)
    _shown.clear()
    _shown[id(report)] = shell.execution_count
    return report


def _display(report) -> None:
    shell = _shell()
    if shell is not None and _shown.get(id(report)) == shell.execution_count:
        return   # check() showed it already in this cell
    _shown.pop(id(report), None)
    if shell is None:
        print(report.text())
        return
    from IPython.display import display

    display({"text/plain": report.text(), "text/html": report.html()}, raw=True)


def _shell():
    """The running IPython shell, or None (no IPython, or not inside one)."""
    module = sys.modules.get("IPython")
    if module is None:
        return None
    try:
        return module.get_ipython()
    except Exception:  # noqa: BLE001 - an odd IPython: show plain text
        return None


# --- grading in the kernel ----------------------------------------------------------------------

def _grade(choice: _Choice, exercises, namespace: Mapping):
    if choice.prepared is None:
        choice.prepared = grader.prepare(choice.sheet, choice.seed, cache=True)
    filename = _notebook_name(namespace) or "this notebook"
    ask = InProcess(namespace, filename=filename, label=_cell_label)
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
        if not isinstance(module, str) or module == __name__:
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


def _cell_label(filename: str) -> str:
    """A code file name as the student knows it: ``In[5]`` for a notebook cell."""
    shell = _shell()
    try:
        named = shell.compile.format_code_name(filename) if shell is not None else None
    except Exception:  # noqa: BLE001 - an older IPython
        named = None
    return named[1] if named else filename


# --- which sheet ----------------------------------------------------------------------------

def _notebook_name(namespace: Mapping) -> str | None:
    """The running notebook's file name, when the front end tells (VS Code, Jupyter)."""
    for value in (namespace.get("__vsc_ipynb_file__"), namespace.get("__session__"),
                  os.environ.get("JPY_SESSION_NAME")):
        if isinstance(value, str) and value.endswith(".ipynb"):
            return Path(value).name
    return None


def _choice(namespace: Mapping) -> _Choice:
    global _chosen
    if _chosen is None:
        sheet = guess_sheet(_notebook_name(namespace), Path.cwd())
        _chosen = _Choice(sheet, sheet.seed, None)
    return _chosen


def _simple(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def guess_sheet(notebook: str | None, folder: Path) -> Sheet:
    """The sheet a notebook belongs to, when that is unambiguous: the spec files in
    ``folder``, else the bundled sheets, whose module (or name) is the notebook's name
    (``sheet01.ipynb``) or ends it (``DL-Sheet01.ipynb``). Without a notebook name, the one
    sheet whose ``<module>.ipynb`` or ``<module>.py`` is in ``folder``.

    >>> guess_sheet("DL-Sheet01.ipynb", Path("/nonexistent")).name
    'sheet01'
    """
    local = []
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        try:
            local.append(load_sheet(str(path)))
        except (GradcheckError, OSError):
            continue
    bundled = [load_sheet(name) for name in bundled_sheets()]
    if notebook is not None:
        stem = _simple(Path(notebook).stem)
        tests = (lambda s: stem in (_simple(s.module), _simple(s.name)),
                 lambda s: bool(_simple(s.module)) and stem.endswith(_simple(s.module)))
    else:
        tests = (lambda s: any((folder / f"{s.module}{suffix}").is_file()
                               for suffix in grader.SUBMISSION_SUFFIXES),)
    for candidates in (local, bundled):
        for test in tests:
            found = {s.path or s.name: s for s in candidates if test(s)}
            if len(found) == 1:
                return next(iter(found.values()))
            if len(found) > 1:
                raise SpecError(_which(notebook, sorted(s.name for s in found.values())))
    raise SpecError(_which(notebook, bundled_sheets()))


def _which(notebook: str | None, names: list[str]) -> str:
    about = f"which sheet {notebook} belongs to" if notebook else "which sheet this is"
    return (f"cannot tell {about}: call gc.use(\"{names[0] if names else 'sheet01'}\") or "
            f"gc.use(\"path/to/spec.yaml\") first (sheets: {', '.join(names)})")


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
                return _show(_Problem(str(exc)))
            return None
        if not words or words == ["all"]:
            return check_all(namespace=namespace)
        for word in words[:-1]:
            check(word, namespace=namespace)
        return check(words[-1], namespace=namespace)

    ipython.register_magic_function(gradcheck, "line", "gradcheck")
