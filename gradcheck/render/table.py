"""The terminal view of a graded sheet: a rich table with a total line.

:func:`sheet_table` builds renderables (data); the console draws them. Colours come from
the console, which turns them off when it does not write to a terminal or ``NO_COLOR`` is
set - nothing here forces them. Student-controlled text is passed as ``Text`` (never as
markup) with control characters removed.
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from gradcheck.render.common import (
    exercise_diagnosis,
    fmt_error,
    fmt_points,
    one_line,
    point_diagnosis,
    printable,
    short_inputs,
    total_line,
)
from gradcheck.render.graph import text_tree
from gradcheck.results import (
    ERROR,
    FAIL,
    MANUAL,
    NOT_IMPLEMENTED,
    PASS,
    TIMEOUT,
    ExerciseResult,
    SheetResult,
)

STATUS_STYLE = {
    PASS: "green",
    FAIL: "red",
    ERROR: "bold red",
    TIMEOUT: "magenta",
    NOT_IMPLEMENTED: "yellow",
    MANUAL: "cyan",
}

DIAGNOSIS_CHARS = 100   # a diagnosis is cut to one line of at most this many characters
TITLE_WIDTH = 24        # titles wrap within this many columns
OUTPUT_CHARS = 20_000   # student output shown with verbose=True, at most


def _status(status: str) -> Text:
    return Text(printable(status), style=STATUS_STYLE.get(status, ""))


def _header(result: SheetResult) -> list[RenderableType]:
    title = f"{result.sheet} \u2014 {one_line(result.title, 200)}" if result.title else result.sheet
    parts: list[RenderableType] = [
        Text(title, style="bold"),
        Text(f"submission {printable(result.submission)} \u00b7 seed {result.seed} "
             f"\u00b7 gradcheck {result.gradcheck_version}", style="dim"),
    ]
    if result.load_error:
        parts.append(Panel(Text(printable(result.load_error).rstrip()),
                           title="the submission did not load", title_align="left",
                           border_style="red"))
    for warning in result.warnings:
        parts.append(Text(f"warning: {printable(warning)}", style="yellow"))
    return parts


def _exercise_rows(table: Table, exercise: ExerciseResult, verbose: bool) -> None:
    table.add_row(
        Text(exercise.id, style="bold"),
        Text(one_line(exercise.title, 200)),
        Text(fmt_points(exercise)),
        _status(exercise.status),
        Text(fmt_error(exercise.worst_error)),
        Text(one_line(exercise_diagnosis(exercise), DIAGNOSIS_CHARS)),
    )
    if not verbose:
        return
    for number, point in enumerate(exercise.checks, start=1):
        table.add_row(
            "",
            Text(f"  {number}. {short_inputs(point.inputs, limit=80)}", style="dim"),
            "",
            _status(point.status),
            Text(fmt_error(point.max_rel_error)),
            Text(one_line(point_diagnosis(point), DIAGNOSIS_CHARS)),
        )
    table.rows[-1].end_section = True


def _output_section(result: SheetResult) -> list[RenderableType]:
    chunks = []
    if result.output.strip():
        chunks.append(("while loading", result.output))
    chunks.extend((f"during {e.id}", e.output) for e in result.exercises if e.output.strip())
    parts: list[RenderableType] = []
    for when, text in chunks:
        text = printable(text).rstrip("\n")
        if len(text) > OUTPUT_CHARS:
            text = text[:OUTPUT_CHARS] + f"\n... ({len(text) - OUTPUT_CHARS} more characters)"
        parts.append(Panel(Text(text), title=Text(printable(f"printed {when}")),
                           title_align="left", border_style="dim"))
    return parts


def sheet_table(result: SheetResult, *, verbose: bool = False) -> RenderableType:
    """The terminal view of a graded sheet: header, load error and warnings, table, total.

    With ``verbose=True`` every test point appears under its exercise (inputs, status,
    error, diagnosis) and what the submission printed is shown below the total.

    >>> from rich.console import Console
    >>> from gradcheck.results import SheetResult
    >>> empty = SheetResult(sheet="s", title="", module="s", submission="s.py", score=0.0,
    ...                     max_score=0.0, manual_points=0.0, seed=1, spec_sha256="",
    ...                     gradcheck_version="0.1.0", exercises=())
    >>> console = Console(width=60, color_system=None, record=True)
    >>> console.print(sheet_table(empty))  # doctest: +ELLIPSIS
    s...
    """
    table = Table(show_edge=True, header_style="bold", pad_edge=True, expand=False)
    table.add_column("Ex.", no_wrap=True)
    table.add_column("Title", max_width=TITLE_WIDTH, overflow="fold")
    table.add_column("Points", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Error", justify="right", no_wrap=True)
    table.add_column("Diagnosis", overflow="fold", min_width=16)
    for exercise in result.exercises:
        _exercise_rows(table, exercise, verbose)

    parts = _header(result)
    parts.append(table)
    parts.append(Text(total_line(result), style="bold"))
    printed = bool(result.output.strip()) or any(e.output.strip() for e in result.exercises)
    if verbose:
        parts.extend(Panel(Text(text_tree(e.graph)), title=Text(printable(
            f"{e.id}: the graph of your intermediate variables")), title_align="left",
            border_style="dim") for e in result.exercises if e.graph)
        parts.extend(_output_section(result))
    elif printed:
        parts.append(Text("The submission printed text; --verbose shows it.", style="dim"))
    return Group(*parts)


def print_sheet(result: SheetResult, console: Console, verbose: bool = False) -> None:
    """Print :func:`sheet_table` on ``console``.

    >>> from rich.console import Console
    >>> from gradcheck.results import SheetResult
    >>> empty = SheetResult(sheet="s", title="", module="s", submission="s.py", score=0.0,
    ...                     max_score=0.0, manual_points=0.0, seed=1, spec_sha256="",
    ...                     gradcheck_version="0.1.0", exercises=())
    >>> print_sheet(empty, Console(width=60, color_system=None))  # doctest: +ELLIPSIS
    s...
    """
    console.print(sheet_table(result, verbose=verbose))
