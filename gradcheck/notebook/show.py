"""What a check in the notebook shows, and where: under the running cell, as HTML and plain
text through IPython's display when the code runs in an IPython shell, as plain text printed
otherwise. The text and HTML themselves are drawn by :mod:`gradcheck.render.notebook`.

>>> report = show(Problem("sheet01 has no exercise '9z'"))
gradcheck: sheet01 has no exercise '9z'
>>> shell() is None, cell_label("/tmp/ipykernel_1/123.py")
(True, '/tmp/ipykernel_1/123.py')
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from gradcheck.render import notebook as view
from gradcheck.render.common import fmt_num
from gradcheck.results import ExerciseResult, SheetResult


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
class Problem:
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


def show(report: Report | Problem) -> Report | Problem:
    """Show ``report`` under the running cell now; returned as the cell's last value, it is
    not shown a second time (an example is at the top of this module)."""
    running = shell()
    if running is None:
        print(report.text())
        return report
    from IPython.display import display

    display({"text/plain": report.text(), "text/html": report.html()}, raw=True)
    _shown.clear()
    _shown[id(report)] = running.execution_count
    return report


def _display(report: Report | Problem) -> None:
    running = shell()
    if running is not None and _shown.get(id(report)) == running.execution_count:
        return   # show() showed it already in this cell
    _shown.pop(id(report), None)
    if running is None:
        print(report.text())
        return
    from IPython.display import display

    display({"text/plain": report.text(), "text/html": report.html()}, raw=True)


def shell():
    """The running IPython shell, or None (no IPython, or not inside one; an example is at
    the top of this module)."""
    module = sys.modules.get("IPython")
    if module is None:
        return None
    try:
        return module.get_ipython()
    except Exception:  # noqa: BLE001 - an odd IPython: show plain text
        return None


def cell_label(filename: str) -> str:
    """A code file name as the student knows it: ``In[5]`` for a notebook cell (outside
    IPython the name itself; an example is at the top of this module)."""
    running = shell()
    try:
        named = running.compile.format_code_name(filename) if running is not None else None
    except Exception:  # noqa: BLE001 - an older IPython
        named = None
    return named[1] if named else filename
