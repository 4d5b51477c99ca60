"""The terminal view of a graded sheet: a rich table with a total line.

:func:`sheet_table` builds renderables (data); the console draws them. Colours come from
the console, which turns them off when it does not write to a terminal or ``NO_COLOR`` is
set - nothing here forces them. Student-controlled text is passed as ``Text`` (never as
markup) with control characters removed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from gradcheck.render.common import (
    exercise_diagnosis,
    fmt_error,
    fmt_points,
    input_text,
    one_line,
    point_diagnosis,
    printable,
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

DIAGNOSIS_CHARS = 2_000  # a diagnosis is one line, cut only past this many characters
TITLE_WIDTH = 24         # the wide layout's titles wrap within this many columns
EXERCISE_WIDTH = 16      # the narrow layouts' titles wrap under the id within this many
WIDE_DIAGNOSIS = 40      # the wide layout leaves the diagnosis at least this many columns,
WIDE_VERBOSE = 60        # and this many when it also holds the inputs of test points
NARROW_DIAGNOSIS = 30    # narrower layouts leave it this many (or its longest word's, or
                         # with verbose=True its longest line of inputs)
LONGEST_WORD = 30        # a word longer than this may be broken to fit
OUTPUT_CHARS = 20_000    # student output shown with verbose=True, at most


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


@dataclass(frozen=True)
class _Row:
    """One line of the table before it is laid out: an exercise, or one of its test points."""

    first: str                  # the exercise's id, or the test point's number
    title: str
    points: str
    status: str
    error: str
    diagnosis: str
    inputs: tuple[tuple[str, str], ...] = ()   # a test point's inputs: (name, text)
    point: bool = False         # a test point's row (verbose)
    last: bool = False          # the last row of an exercise's section (verbose)


def _rows(result: SheetResult, verbose: bool) -> list[_Row]:
    rows = []
    for exercise in result.exercises:
        rows.append(_Row(exercise.id, one_line(exercise.title, 200), fmt_points(exercise),
                         exercise.status, fmt_error(exercise.worst_error),
                         one_line(exercise_diagnosis(exercise), DIAGNOSIS_CHARS)))
        if verbose:
            rows += [_Row(f"  {number}.", "", "", point.status, fmt_error(point.max_rel_error),
                          one_line(point_diagnosis(point), DIAGNOSIS_CHARS),
                          tuple((printable(name), printable(input_text(value)))
                                for name, value in point.inputs.items()), point=True)
                     for number, point in enumerate(exercise.checks, start=1)]
            rows[-1] = dataclasses.replace(rows[-1], last=True)
    return rows


@dataclass(frozen=True)
class _Layout:
    """Which columns the table has: the wide one gives the title a column of its own; the
    narrow ones write it under the id, then let the status wrap, then write the error under
    the status."""

    title_column: bool
    status_wraps: bool = False
    error_column: bool = True


LAYOUTS = (_Layout(True), _Layout(False), _Layout(False, True), _Layout(False, True, False))


def _input_lines(row: _Row, width: int = 0) -> list[str]:
    """A test point's inputs, ``name = value``: an input that takes one line shares it with
    the one before when both fit in ``width``; a matrix starts a line of its own."""
    lines: list[str] = []
    joinable = False
    for name, text in row.inputs:
        prefix = f"{name} = "
        parts = text.split("\n")
        one = prefix + parts[0]
        if len(parts) == 1 and joinable and cell_len(lines[-1]) + 2 + cell_len(one) <= width:
            lines[-1] += ", " + one
            continue
        lines += [one] + [" " * len(prefix) + part for part in parts[1:]]
        joinable = len(parts) == 1
    return lines


def _diagnosis_lines(row: _Row) -> list[str]:
    return _input_lines(row) + ([row.diagnosis] if row.diagnosis else [])


def _widest(texts, *, words: bool = False) -> int:
    if words:
        texts = [word for text in texts for word in text.split()]
    return max((cell_len(t) for t in texts), default=0)


def _widths(rows: list[_Row], layout: _Layout, width: int) -> dict[str, int]:
    """The width of every column of ``layout``; the diagnosis gets what the others leave."""
    ids, titles = [r.first for r in rows], [r.title for r in rows if r.title]
    widths = {"Ex.": max(_widest(ids), 3)}
    if layout.title_column:
        widths["Title"] = max(min(_widest(titles), TITLE_WIDTH), 5)
    else:
        widths["Ex."] = max(widths["Ex."], min(_widest(titles), EXERCISE_WIDTH))
    widths["Points"] = max(_widest(r.points for r in rows), 6)
    widths["Status"] = max(_widest((r.status for r in rows), words=layout.status_wraps), 6)
    if layout.error_column:
        widths["Error"] = max(_widest(r.error for r in rows), 5)
    else:
        widths["Status"] = max(widths["Status"], _widest(r.error for r in rows))
    used = sum(widths.values()) + 3 * (len(widths) + 1) + 1   # borders and padding
    widths["Diagnosis"] = width - used
    return widths


def _layout(rows: list[_Row], width: int, verbose: bool) -> tuple[_Layout, dict[str, int]]:
    """The first layout that leaves the diagnosis room enough, and its column widths."""
    lines = [line for row in rows for line in _diagnosis_lines(row)]
    needed = max(_widest(lines), 9)
    word = min(_widest(lines, words=True), LONGEST_WORD)
    inputs = _widest(line for row in rows for line in _input_lines(row))
    wanted = [min(needed, WIDE_VERBOSE if verbose else WIDE_DIAGNOSIS)] + \
        [min(needed, max(NARROW_DIAGNOSIS, word, inputs))] * (len(LAYOUTS) - 1)
    for layout, least in zip(LAYOUTS, wanted, strict=True):
        widths = _widths(rows, layout, width)
        if widths["Diagnosis"] >= least:
            break
    if not layout.title_column:   # a title's longest word whole, where the diagnosis can spare it
        token = min(_widest((r.title for r in rows if r.title), words=True), TITLE_WIDTH)
        grow = max(0, min(token - widths["Ex."], widths["Diagnosis"] - least))
        widths["Ex."] += grow
        widths["Diagnosis"] -= grow
    widths["Diagnosis"] = max(min(widths["Diagnosis"], needed), 9)
    return layout, widths


def _first_cell(row: _Row, layout: _Layout) -> Text:
    if row.point:
        return Text(row.first, style="dim")
    text = Text(row.first, style="bold")
    if not layout.title_column and row.title:
        text.append("\n" + row.title)
    return text


def _diagnosis_cell(row: _Row, width: int) -> Text:
    text = Text("\n".join(_input_lines(row, width)), style="dim")
    if row.diagnosis:
        text.append(("\n" if row.inputs else "") + row.diagnosis, style="")
    return text


class _SheetTable:
    """The table of exercises, laid out for the width of the console that draws it."""

    def __init__(self, result: SheetResult, verbose: bool):
        self.rows = _rows(result, verbose)
        self.verbose = verbose

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        layout, widths = _layout(self.rows, options.max_width, self.verbose)
        table = Table(show_edge=True, header_style="bold", pad_edge=True, expand=False)
        for name, width in widths.items():
            header = "Status\nError" if name == "Status" and not layout.error_column else name
            table.add_column(header, width=width, justify="right" if name in (
                "Points", "Error") else "left", overflow="fold",
                no_wrap=name in ("Points", "Error") or (name == "Status"
                                                        and not layout.status_wraps))
        for row in self.rows:
            cells = [_first_cell(row, layout)]
            if layout.title_column:
                cells.append(Text(row.title))
            cells.append(Text(row.points))
            if layout.error_column:
                cells += [_status(row.status), Text(row.error)]
            else:
                cells.append(_status(row.status).append("\n" + row.error))
            cells.append(_diagnosis_cell(row, widths["Diagnosis"]))
            table.add_row(*cells, end_section=row.last)
        yield table


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
    parts = _header(result)
    parts.append(_SheetTable(result, verbose))
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
