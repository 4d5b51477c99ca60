"""What a notebook cell shows after a check: exercise results and a sheet, as HTML (Jupyter,
VS Code, Colab) and as plain text (a terminal IPython, a plain Python prompt).

Pure functions of the results, like every renderer. All text a student controls (messages,
printed output, titles of a spec) is escaped; the HTML carries its own inline styles (no
scripts, no stylesheet), so it looks the same in every front end and in a saved notebook.

>>> from gradcheck.results import ExerciseResult
>>> done = ExerciseResult(id="1c", title="σ′(x)", kind="derivative", student="d_1c",
...                       points=2.0, score=2.0, status="pass",
...                       message="all 6 test points passed")
>>> print(exercises_text([done], sheet="sheet01", seed=2024))
1c  σ′(x)
pass · 2/2 points · all 6 test points passed
<BLANKLINE>
Checked in this kernel (sheet sheet01, seed 2024). The grade that counts is the one from
`gradcheck grade sheet01`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np

from gradcheck.render.common import (
    STATUS_EMOJI,
    exercise_diagnosis,
    fmt_num,
    fmt_points,
    one_line,
    point_details,
    printable,
    worst_point,
)
from gradcheck.results import (
    ERROR,
    FAIL,
    MANUAL,
    NOT_IMPLEMENTED,
    PASS,
    TIMEOUT,
    ExerciseResult,
    PointResult,
    SheetResult,
)

STATUS_COLOUR = {PASS: "#1a7f37", FAIL: "#cf222e", ERROR: "#a40e26", TIMEOUT: "#8250df",
                 NOT_IMPLEMENTED: "#9a6700", MANUAL: "#0969da"}
OUTPUT_CHARS = 5_000      # printed output shown per exercise, at most
VALUE_ENTRIES = 60        # an input with more entries is shown by its shape


def official_note(sheet: str, seed: int) -> str:
    """The sentence under every check: where it ran, and which grade counts.

    >>> official_note("sheet01", 2024).endswith("the one from `gradcheck grade sheet01`.")
    True
    """
    return (f"Checked in this kernel (sheet {sheet}, seed {seed}). The grade that counts is "
            f"the one from `gradcheck grade {sheet}`.")


def input_value(data: Any) -> str:
    """One input of a test point in full (numpy's notation), or its shape when large.

    >>> input_value(0.5), input_value([[1.0, 2.0], [3.0, 4.5]])
    ('0.5', '[[1.  2. ]\\n [3.  4.5]]')
    >>> input_value([0.0] * 100)
    'an array of shape (100,)'
    """
    array = np.asarray(data, dtype=float)
    if array.size > VALUE_ENTRIES:
        return f"an array of shape {array.shape}"
    if array.ndim == 0:
        return f"{float(array):.10g}"
    return np.array2string(array, precision=8, max_line_width=100)


def _worst(exercise: ExerciseResult) -> tuple[int, PointResult] | None:
    point = worst_point(exercise)
    if point is None:
        return None
    number = next(i for i, p in enumerate(exercise.checks, start=1) if p is point)
    return number, point


def _details(point: PointResult) -> list[tuple[str, str]]:
    """``point_details`` with every input shown in full."""
    rows = [(f"input {name}", input_value(value)) for name, value in point.inputs.items()]
    return rows + [row for row in point_details(point) if row[0] != "inputs"]


def _status_line(exercise: ExerciseResult) -> str:
    line = f"{exercise.status} · {fmt_points(exercise)} points"
    diagnosis = one_line(exercise_diagnosis(exercise), 400)
    return f"{line} · {diagnosis}" if diagnosis else line


def exercise_text(exercise: ExerciseResult) -> str:
    """One exercise in plain text: title, status and points, diagnosis, the worst test point.

    >>> from gradcheck.results import ExerciseResult, PointResult
    >>> slow = PointResult(status="timeout", inputs={"x": 1.0},
    ...                    message="calling d_1c did not finish within 5 s")
    >>> print(exercise_text(ExerciseResult(id="1c", title="", kind="derivative",
    ...     student="d_1c", points=2.0, score=0.0, status="timeout", checks=(slow,),
    ...     message="calling d_1c did not finish within 5 s")))
    1c
    timeout · 0/2 points · calling d_1c did not finish within 5 s
    worst test point (1 of 1):
      input x    1
      diagnosis  calling d_1c did not finish within 5 s
    """
    title = one_line(exercise.title, 200)
    lines = [f"{exercise.id}  {title}" if title else exercise.id, _status_line(exercise)]
    worst = _worst(exercise)
    if worst is not None:
        number, point = worst
        lines.append(f"worst test point ({number} of {len(exercise.checks)}):")
        rows = _details(point)
        width = max(len(label) for label, _ in rows)
        for label, value in rows:
            value = printable(value).replace("\n", "\n  " + " " * (width + 2))
            lines.append(f"  {label.ljust(width)}  {value}")
    if exercise.output.strip():
        lines.append("printed while checking:")
        lines.extend("  " + line for line in _output(exercise).split("\n"))
    return "\n".join(lines)


def exercises_text(exercises: Sequence[ExerciseResult], *, sheet: str, seed: int,
                   warnings: Sequence[str] = ()) -> str:
    """Several exercises (one check of a group), a total when there are more than one, the
    ``warnings`` and :func:`official_note`."""
    parts = [exercise_text(e) for e in exercises]
    if len(exercises) > 1:
        parts.append(_total(exercises))
    parts.extend(f"warning: {printable(w)}" for w in warnings)
    return "\n\n".join(parts) + "\n\n" + _wrap(official_note(sheet, seed))


def _total(exercises: Sequence[ExerciseResult]) -> str:
    automatic = [e for e in exercises if e.automatic]
    return (f"Total {fmt_num(sum(e.score for e in automatic))}/"
            f"{fmt_num(sum(e.points for e in automatic))} points")


def _wrap(text: str, width: int = 90) -> str:
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join(lines + [line])


def _output(exercise: ExerciseResult) -> str:
    text = printable(exercise.output).rstrip("\n")
    if len(text) > OUTPUT_CHARS:
        text = text[:OUTPUT_CHARS] + f"\n... ({len(text) - OUTPUT_CHARS} more characters)"
    return text


# --- HTML -----------------------------------------------------------------------------------

_BOX = ("border-left:4px solid {colour};padding:6px 12px;margin:6px 0;"
        "font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:13px;"
        "line-height:1.4")
_CELL = "padding:2px 10px 2px 0;vertical-align:top;text-align:left;border:none"
_CODE = "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre"
_NOTE = "color:#57606a;font-size:12px;margin-top:6px"


def _e(text: str) -> str:
    return html.escape(printable(text), quote=True)


def exercise_html(exercise: ExerciseResult) -> str:
    """One exercise as an HTML block (inline styles only).

    >>> from gradcheck.results import ExerciseResult
    >>> block = exercise_html(ExerciseResult(id="1a", title="<b>", kind="derivative",
    ...     student="d_1a", points=2.0, score=2.0, status="pass"))
    >>> "&lt;b&gt;" in block and "2/2" in block
    True
    """
    colour = STATUS_COLOUR.get(exercise.status, "#57606a")
    emoji = STATUS_EMOJI.get(exercise.status, "")
    title = one_line(exercise.title, 200)
    parts = [
        f'<div class="gradcheck-exercise" style="{_BOX.format(colour=colour)}">',
        f'<div><b>{_e(exercise.id)}</b>{"&ensp;" + _e(title) if title else ""}&emsp;'
        f'<span style="color:{colour};font-weight:600">{emoji} {_e(exercise.status)}</span>'
        f'&emsp;<b>{_e(fmt_points(exercise))}</b> points</div>',
        f'<div class="gradcheck-diagnosis">{_e(exercise_diagnosis(exercise))}</div>',
    ]
    worst = _worst(exercise)
    if worst is not None:
        number, point = worst
        rows = "".join(
            f'<tr><th style="{_CELL};font-weight:normal;color:#57606a">{_e(label)}</th>'
            f'<td style="{_CELL};{_CODE if label.startswith("input") else ""}">'
            f'{_e(value)}</td></tr>'
            for label, value in _details(point))
        parts.append(f'<div style="margin-top:4px">worst test point ({number} of '
                     f'{len(exercise.checks)}):</div>'
                     f'<table class="gradcheck-point" style="border-collapse:collapse;'
                     f'margin:2px 0 0 8px">{rows}</table>')
    if exercise.output.strip():
        parts.append(f'<details style="margin-top:4px"><summary>printed while checking'
                     f'</summary><pre style="{_CODE};margin:2px 0">{_e(_output(exercise))}'
                     f'</pre></details>')
    parts.append("</div>")
    return "".join(parts)


def exercises_html(exercises: Sequence[ExerciseResult], *, sheet: str, seed: int,
                   warnings: Sequence[str] = ()) -> str:
    """Several exercises, their total when more than one, the ``warnings`` and
    :func:`official_note`."""
    parts = [exercise_html(e) for e in exercises]
    if len(exercises) > 1:
        parts.append(f"<div><b>{_e(_total(exercises))}</b></div>")
    parts.extend(f'<div class="gradcheck-warning" style="color:#9a6700">warning: {_e(w)}</div>'
                 for w in warnings)
    return (f'<div class="gradcheck">{"".join(parts)}'
            f'<div class="gradcheck-note" style="{_NOTE}">{_note_html(sheet, seed)}</div></div>')


def _note_html(sheet: str, seed: int) -> str:
    text = _e(official_note(sheet, seed))
    command = _e(f"`gradcheck grade {sheet}`")
    return text.replace(command, f"<code>gradcheck grade {_e(sheet)}</code>")


def sheet_text(result: SheetResult, *, width: int = 100) -> str:
    """The whole sheet as the terminal table (``render.table``), without colours, and
    :func:`official_note`."""
    console = _console(result, width)
    return console.export_text().rstrip("\n") + "\n\n" + _wrap(official_note(result.sheet,
                                                                            result.seed))


def sheet_html(result: SheetResult, *, width: int = 100) -> str:
    """The whole sheet as the terminal table, drawn in HTML with inline colours, and
    :func:`official_note`."""
    console = _console(result, width, colour=True)
    table = console.export_html(inline_styles=True, code_format=(
        f'<pre style="{_CODE};font-size:12px;line-height:1.3;margin:0">{{code}}</pre>'))
    return (f'<div class="gradcheck">{table}<div class="gradcheck-note" style="{_NOTE}">'
            f'{_note_html(result.sheet, result.seed)}</div></div>')


def _console(result: SheetResult, width: int, colour: bool = False):
    import io

    from rich.console import Console

    from gradcheck.render.table import print_sheet

    # force_jupyter=False: in a kernel rich would display the table itself
    console = Console(record=True, width=width, file=io.StringIO(), force_terminal=colour,
                      force_jupyter=False, color_system="truecolor" if colour else None)
    print_sheet(result, console)
    return console


def problem_html(message: str) -> str:
    """Why a check could not start (no sheet chosen, an unknown exercise), as HTML.

    >>> "no exercise" in problem_html("sheet01 has no exercise '9z'")
    True
    """
    return (f'<div class="gradcheck-problem" style="{_BOX.format(colour="#9a6700")}">'
            f'<b>gradcheck</b>: {_e(message)}</div>')
