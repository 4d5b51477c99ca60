"""Formatting shared by the renderers: numbers, points, errors, one-line texts, worst points.

Everything here only reads results; nothing is graded or re-checked. Non-finite errors
(NaN from a received NaN) count as the worst possible error wherever errors are ranked.
"""

from __future__ import annotations

import math
import re
from typing import Any

from gradcheck.results import (
    CONTROL,
    ERROR,
    FAIL,
    MANUAL,
    NOT_IMPLEMENTED,
    PASS,
    TIMEOUT,
    CheckResult,
    ExerciseResult,
    PointResult,
    SheetResult,
)

DASH = "\u2014"  # shown where a value does not exist (no error measured, manual points)
ELLIPSIS = "\u2026"

STATUS_EMOJI = {
    PASS: "\u2705",             # white heavy check mark
    FAIL: "\u274c",             # cross mark
    ERROR: "\U0001f4a5",        # collision
    TIMEOUT: "\u23f1\ufe0f",    # stopwatch
    NOT_IMPLEMENTED: "\U0001f6a7",  # construction sign
    MANUAL: "\u270d\ufe0f",     # writing hand
}



def printable(text: str) -> str:
    """``text`` with carriage returns turned into newlines, other control characters removed
    and lone surrogates (which no output encoding holds) escaped.

    >>> printable("a\\r\\nb\\x1b[31mc\\ud800")
    'a\\nb[31mc\\\\ud800'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _SURROGATE.search(text):
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return CONTROL.sub("", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def fmt_num(value: float, digits: int = 2) -> str:
    """A score or point count without trailing zeros: 1.2, 2, 0.67.

    >>> fmt_num(1.2), fmt_num(2.0), fmt_num(2 / 3), fmt_num(5.333333, 4)
    ('1.2', '2', '0.67', '5.3333')
    """
    if not math.isfinite(value):
        return str(value)
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_points(exercise: ExerciseResult) -> str:
    """``score/points`` of an exercise; a manual exercise shows a dash for its score.

    >>> ex = ExerciseResult(id="1b", title="", kind="derivative", student="d_1b",
    ...                     points=2.0, score=1.2, status="fail")
    >>> fmt_points(ex)
    '1.2/2'
    """
    if not exercise.automatic:
        return f"{DASH}/{fmt_num(exercise.points)}"
    return f"{fmt_num(exercise.score)}/{fmt_num(exercise.points)}"


def fmt_error(value: float | None) -> str:
    """A relative error in two significant digits, or a dash when none was measured.

    >>> fmt_error(0.3125), fmt_error(None), fmt_error(float("nan"))
    ('3.1e-01', '—', 'nan')
    """
    if value is None:
        return DASH
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.1e}"


def fmt_value(value: float | None) -> str:
    """An expected or received entry with up to 10 significant digits."""
    if value is None:
        return DASH
    return f"{value:.10g}"


def one_line(text: str, limit: int = 120) -> str:
    """The first non-empty line of ``text``, whitespace collapsed, cut to ``limit`` characters.

    >>> one_line("\\n  sign   flipped\\nmore")
    'sign flipped'
    >>> one_line("x" * 10, limit=5)
    'xxxx…'
    """
    for line in printable(text).split("\n"):
        line = " ".join(line.split())
        if line:
            return line if len(line) <= limit else line[: max(limit - 1, 0)] + ELLIPSIS
    return ""


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, marking the cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + ELLIPSIS


def _shape(data: Any) -> tuple[int, ...]:
    shape = []
    while isinstance(data, list):
        shape.append(len(data))
        data = data[0] if data else None
    return tuple(shape)


FULL_VECTOR = 12      # input_text shows a vector of up to this many entries in full,
FULL_MATRIX = (6, 6)  # and a matrix of up to this many rows and columns
SUMMARY_ENTRIES = 4   # a larger array: its shape, its first few entries, its min and max


def _entry(value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return str(value)
    return f"{value:.4g}" if isinstance(value, (int, float)) else str(value)


def input_text(data: Any) -> str:
    """One input of a test point (JSON data) as it can be typed back in: a number, a vector
    of up to :data:`FULL_VECTOR` entries and a matrix of up to :data:`FULL_MATRIX` in full
    (a matrix one row per line, its columns aligned), anything larger as its shape, its
    first entries and its range. Entries have 4 significant digits.

    >>> input_text(0.5), input_text([1.0, -2.5, 3.0, 0.125, 5.0])
    ('0.5', '[1, -2.5, 3, 0.125, 5]')
    >>> print(input_text([[1.0, -2.0], [0.25, 4.0]]))
    [[   1, -2],
     [0.25,  4]]
    >>> input_text([[0.0] * 7] * 7)
    'array 7×7: [0, 0, 0, 0, …], min 0, max 0'
    """
    shape = _shape(data)
    if not shape:
        return _entry(data)
    if len(shape) == 1 and shape[0] <= FULL_VECTOR:
        return "[" + ", ".join(_entry(v) for v in data) + "]"
    rows, columns = FULL_MATRIX
    if len(shape) == 2 and shape[0] <= rows and shape[1] <= columns and \
            all(isinstance(row, list) and len(row) == shape[1] for row in data):
        texts = [[_entry(v) for v in row] for row in data]
        widths = [max(len(row[j]) for row in texts) for j in range(shape[1])]
        lines = ["[" + ", ".join(t.rjust(w) for t, w in zip(row, widths, strict=True)) + "]"
                 for row in texts]
        return "[" + ",\n ".join(lines) + "]"
    entries = _flat(data)
    numbers = [v for v in entries if isinstance(v, (int, float)) and not isinstance(v, bool)]
    head = ", ".join(_entry(v) for v in entries[:SUMMARY_ENTRIES])
    text = f"array {'×'.join(str(n) for n in shape)}: [{head}"
    text += ", …]" if len(entries) > SUMMARY_ENTRIES else "]"
    if numbers:
        text += f", min {_entry(min(numbers))}, max {_entry(max(numbers))}"
    return text


def _flat(data: Any) -> list[Any]:
    if not isinstance(data, list):
        return [data]
    return [v for item in data for v in _flat(item)]


ONE_LINE_INPUTS = 100   # inputs that fit this many characters share one line


def inputs_text(inputs: dict[str, Any]) -> str:
    """The inputs of a test point as ``name = value``, each value as :func:`input_text` shows
    it: on one line when they all fit in :data:`ONE_LINE_INPUTS` characters, else one input a
    line (a matrix one row a line, aligned under its first row).

    >>> inputs_text({"x": 1.0, "mu": [0.5, -1.0]})
    'x = 1, mu = [0.5, -1]'
    >>> print(inputs_text({"A": [[1.0, 2.0], [3.0, 4.0]], "b": [0.5, 0.25]}))
    A = [[1, 2],
         [3, 4]]
    b = [0.5, 0.25]
    """
    texts = {name: input_text(value) for name, value in inputs.items()}
    line = ", ".join(f"{name} = {text}" for name, text in texts.items())
    if "\n" not in line and len(line) <= ONE_LINE_INPUTS:
        return line
    return "\n".join(f"{name} = " + text.replace("\n", "\n" + " " * (len(name) + 3))
                     for name, text in texts.items())


def detail_lines(point: PointResult, indent: str = "  ") -> list[str]:
    """:func:`point_details` as plain-text lines ``label: value``, a value's further lines
    indented under its first (the reports that are text: JUnit, Gradescope, Classroom).

    >>> detail_lines(PointResult(status="timeout", inputs={"x": [[1.0], [2.0]]}))
    ['  inputs: x = [[1],', '               [2]]']
    """
    lines = []
    for label, value in point_details(point):
        head = f"{indent}{label}: "
        lines.append(head + value.replace("\n", "\n" + " " * len(head)))
    return "\n".join(lines).split("\n")


def _error_key(value: float | None) -> float:
    if value is None:
        return -1.0
    return math.inf if math.isnan(value) else value


def worst_point(exercise: ExerciseResult) -> PointResult | None:
    """The failing test point with the largest error (the first of equals), or None.

    A failing point that was measured beats one that was not (an exception, a timeout).
    """
    failing = [p for p in exercise.checks if not p.passed]
    if not failing:
        return None
    return max(failing, key=lambda p: _error_key(p.max_rel_error))


def worst_check(point: PointResult) -> CheckResult | None:
    """The failed check of a point with the largest error, else its worst check, or None."""
    failed = [c for c in point.checks if not c.passed] or list(point.checks)
    if not failed:
        return None
    return max(failed, key=lambda c: _error_key(c.max_rel_error))


def point_diagnosis(point: PointResult) -> str:
    """What went wrong at a test point: its message, else its worst failed check's diagnosis."""
    if point.message:
        return point.message
    check = worst_check(point)
    if check is not None and not check.passed:
        return check.diagnosis
    return ""


def exercise_diagnosis(exercise: ExerciseResult) -> str:
    """The sentence shown for an exercise: its message, or "scored by a TA" when manual."""
    if not exercise.automatic:
        return exercise.message or "scored by a TA"
    return exercise.message


def point_details(point: PointResult) -> list[tuple[str, str]]:
    """Labelled facts about a (failing) test point: inputs, entries, error, shapes, diagnosis.

    >>> point_details(PointResult(status="timeout", inputs={"x": 1.0}, message="took 5 s"))
    [('inputs', 'x = 1'), ('diagnosis', 'took 5 s')]
    """
    rows: list[tuple[str, str]] = [("inputs", inputs_text(point.inputs) or DASH)]
    check = worst_check(point)
    if check is not None and not check.passed:
        what = check.label or "derivative"
        if check.worst_index:
            what += f", entry {list(check.worst_index)}"
        if check.worst_index is not None and check.expected is not None:
            rows.append((what,
                         f"expected {fmt_value(check.expected)}, "
                         f"received {fmt_value(check.received)}"))
        if check.received_shape is not None and check.received_shape != check.expected_shape:
            rows.append(("shape", f"expected {check.expected_shape}, "
                                  f"received {check.received_shape}"))
        rows.append(("error", f"relative {fmt_error(check.max_rel_error)}, "
                              f"absolute {fmt_error(check.max_abs_error)}, "
                              f"tolerance {fmt_error(check.tolerance)}"))
    diagnosis = point_diagnosis(point)
    if diagnosis:
        rows.append(("diagnosis", diagnosis))
    return rows


def total_line(result: SheetResult) -> str:
    """The one-line total: automatic points, and the manual points left to a TA.

    >>> s = SheetResult(sheet="s", title="", module="s", submission="s.py", score=62.4,
    ...                 max_score=64.0, manual_points=36.0, seed=1, spec_sha256="",
    ...                 gradcheck_version="", exercises=())
    >>> total_line(s)
    'Total 62.4/64 automatic points (+36 manual, scored by a TA)'
    """
    text = f"Total {fmt_num(result.score)}/{fmt_num(result.max_score)} automatic points"
    if result.manual_points:
        text += f" (+{fmt_num(result.manual_points)} manual, scored by a TA)"
    return text


def exercise_name(exercise: ExerciseResult) -> str:
    """``"<id> <title>"`` on one line (just the id when there is no title)."""
    title = one_line(exercise.title, limit=200)
    return f"{exercise.id} {title}" if title else exercise.id
