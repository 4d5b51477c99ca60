"""The terminal table of a really graded submission at the widths of real terminals.

At 80 and 120 columns the table fits: no line is wider than the terminal, the right border
is drawn on every row, words such as ``NotImplementedError`` are never split, and every
diagnosis is shown whole. ``-v`` shows the inputs of each test point: small vectors and
matrices in full, larger arrays as their shape and a few values.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from gradcheck.grading import grader
from gradcheck.render.common import exercise_diagnosis, point_diagnosis
from gradcheck.render.table import print_sheet
from gradcheck.spec import load_sheet
from tests.sample_results import _sheet, exercise, ok, point

ROOT = Path(__file__).resolve().parents[2]
LONG_ERROR = ("the shapes of the intermediate products do not line up with what the "
              "exercise asks for, see the lecture notes on the chain rule for matrices")
MISTAKES = f'''

def d_1b(x, mu, sigma):
    raise NotImplementedError("not done yet")


def jac_1e(x):
    return 1 - np.tanh(x) ** 2          # the diagonal only: a wrong shape


def grad_1f3(x):
    raise ValueError("{LONG_ERROR}")


def jac_1h(x, A, b):
    return (np.cos(A @ x + b)[:, None] * A).T
'''
WIDTHS = (80, 120)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    path = tmp_path_factory.mktemp("student") / "sheet01.py"
    path.write_text((ROOT / "solutions" / "sheet01.py").read_text() + MISTAKES)
    return grader.grade(load_sheet("sheet01"), path)


def render(result, width: int, verbose: bool = False) -> str:
    console = Console(width=width, color_system=None, force_terminal=False, record=True,
                      file=io.StringIO())
    print_sheet(result, console, verbose=verbose)
    return console.export_text()


def table_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line[:1] in "┏┃┡│├└"]


def cells(text: str, column: str, starts: set[str]) -> list[list[str]]:
    """The texts of one column, row by row: a row begins at a line whose first cell is one
    of ``starts`` (an exercise's id, a test point's number)."""
    lines = table_lines(text)
    header = next(line for line in lines if line.startswith("┃") and column in line)
    bars = [i for i, ch in enumerate(header) if ch == "┃"]
    k = next(i for i in range(len(bars) - 1) if header[bars[i] + 1:bars[i + 1]].strip()
             == column)
    rows: list[list[str]] = []
    for line in lines:
        if not line.startswith("│"):
            continue
        first = line[bars[0] + 1:bars[1]].strip()
        cell = line[bars[k] + 1:bars[k + 1]].strip()
        if first in starts or not rows:
            rows.append([])
        rows[-1].append(cell)
    return rows


def joined(row: list[str]) -> str:
    return " ".join(part for part in row if part)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_table_fits_the_terminal_with_its_border(graded, width):
    text = render(graded, width)
    lines = table_lines(text)
    assert lines and all(len(line) <= width for line in text.splitlines()), text
    for line in lines:
        assert line[-1] in "┓┃┩│┤┘", f"the border is cut at {width} columns:\n{line}"


@pytest.mark.parametrize("width", WIDTHS)
def test_every_diagnosis_is_shown_whole_and_no_word_is_split(graded, width):
    text = render(graded, width)
    rows = cells(text, "Diagnosis", {e.id for e in graded.exercises})
    assert len(rows) == len(graded.exercises)
    for exercise_result, row in zip(graded.exercises, rows, strict=True):
        expected = " ".join(exercise_diagnosis(exercise_result).split())
        assert joined(row) == expected, f"{exercise_result.id} at {width}:\n{text}"
    assert "NotImplementedError:" in text and LONG_ERROR.split()[-1] in text


@pytest.mark.parametrize("width", WIDTHS)
def test_no_word_of_a_title_is_split(graded, width):
    # titles under the id (narrow layouts) get the column their longest word needs,
    # where the diagnosis can spare it: `exp(−(x−μ)²/(2σ²))` stays whole at 80 columns
    text = render(graded, width)
    rows = cells(text, "Ex.", {e.id for e in graded.exercises})
    for exercise_result, row in zip(graded.exercises, rows, strict=True):
        words = [w for line in row[1:] for w in line.split()]
        title = exercise_result.title.split()
        assert words == title or not words, f"{exercise_result.id} at {width}:\n{text}"


def test_the_diagnoses_of_the_mistakes_are_the_ones_expected(graded):
    by_id = {e.id: e for e in graded.exercises}
    assert by_id["1b"].message.startswith("NotImplementedError: not done yet")
    assert "wrong shape" in by_id["1e"].message
    assert LONG_ERROR in by_id["1f3"].message and len(by_id["1f3"].message) > 150
    assert "transpose" in by_id["1h"].message


def _numbers(text: str) -> list[str]:
    return re.findall(r"-?\d[\d.e+-]*", text)


@pytest.mark.parametrize("width", WIDTHS)
def test_verbose_shows_the_values_of_a_vector_of_five(graded, width):
    e1e = next(e for e in graded.exercises if e.id == "1e")
    number, five = next((n, p) for n, p in enumerate(e1e.checks, 1)
                        if np.size(p.inputs["x"]) == 5)
    text = render(graded, width, verbose=True)
    assert "array(5)" not in text
    starts = {e.id for e in graded.exercises} | {f"{n}." for n in range(1, 10)}
    row = joined(next(r for r in cells(text, "Diagnosis", starts) if
                      all(f"{v:.4g}" in joined(r) for v in five.inputs["x"])))
    values = [f"{v:.4g}" for v in five.inputs["x"]]
    assert _numbers(row)[:5] == values, row
    assert point_diagnosis(five).split()[0] in row, (number, row)


@pytest.mark.parametrize("width", WIDTHS)
def test_verbose_shows_a_small_matrix_in_full_and_a_large_one_by_shape(width):
    small = [[0.25, -1.5, 3.0], [0.125, 2.0, -0.75]]
    large = np.arange(64.0).reshape(8, 8) / 8
    result = _sheet((exercise(
        "1h", "Jacobian of sin(Ax + b)", 4.0, 4.0, "pass",
        point("pass", {"x": [0.5, -1.0, 2.0], "A": small, "b": [1.0, 0.5]}, ok()),
        point("pass", {"x": list(range(8)), "W": large.tolist()}, ok())),))
    text = render(result, width, verbose=True)
    rows = [joined(r) for r in cells(text, "Diagnosis", {"1h", "1.", "2."})]
    first, second = rows[1], rows[2]          # after the exercise's own row
    for matrix_row in small:                 # every entry, row by row, in order
        pattern = r"\s*,\s*".join(re.escape(f"{v:g}") for v in matrix_row)
        assert re.search(pattern, first), text
    assert "8×8" in second, text              # summarised: its shape, a few values
    assert "7.875" in second                  # and its largest entry
    assert len(_numbers(second)) < 20, second
