"""The terminal table, compared with golden text from a fixed-width, colourless console.

Regenerate the golden files after an intended change:
``GRADCHECK_UPDATE_GOLDEN=1 python -m pytest tests/test_render_table.py`` (review the diff).
"""

import io

import pytest
from rich.console import Console

from gradcheck.render.table import print_sheet, sheet_table
from tests.sample_results import check_golden, full_sheet, load_error_sheet, perfect_sheet


def render(result, *, verbose=False, width=100):
    console = Console(width=width, color_system=None, force_terminal=False, record=True,
                      file=io.StringIO())
    print_sheet(result, console, verbose=verbose)
    return console.export_text()


@pytest.mark.parametrize("name, make, verbose", [
    ("table_full.txt", full_sheet, False),
    ("table_full_verbose.txt", full_sheet, True),
    ("table_load_error.txt", load_error_sheet, False),
    ("table_perfect.txt", perfect_sheet, False),
])
def test_table_matches_golden_text(name, make, verbose):
    check_golden(name, render(make(), verbose=verbose))


def test_table_shows_every_exercise_with_points_status_error_and_total():
    text = render(full_sheet())
    for expected in ("1.2/2", "5.33/8", "\u2014/36", "not implemented", "timeout", "nan",
                     "3.0e-10", "sign flipped",
                     "Total 10.53/26 automatic points (+36 manual, scored by a TA)"):
        assert expected in text
    assert "warning: sheet01.py imports matplotlib" in text
    # Student output only appears with verbose=True, announced otherwise.
    assert "all tests passed" not in text and "--verbose shows it" in text


def test_load_error_is_shown_above_the_table():
    text = render(load_error_sheet())
    assert text.index("SyntaxError: invalid syntax") < text.index("Status")
    assert "Total 0/12 automatic points" in text


def test_verbose_lists_every_test_point_under_its_exercise():
    text = render(full_sheet(), verbose=True)
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if "1b " in line or "\u2502 1b" in line)
    block = "\n".join(lines[first:first + 14])
    assert "x = -1.5, mu = 0.2, sigma = 1.3" in block and "3.1e-01" in block
    assert text.count("sign flipped") == 3   # the exercise and its two failing points


def test_student_output_cannot_send_terminal_escapes():
    text = render(full_sheet(), verbose=True)
    assert "\x1b" not in text and "\x07" not in text
    assert "all tests passed" in text       # shown, as text


def test_no_colour_when_not_a_terminal_and_colour_on_a_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    plain = io.StringIO()
    print_sheet(full_sheet(), Console(file=plain, width=100))
    assert "\x1b[" not in plain.getvalue()

    coloured = io.StringIO()
    print_sheet(full_sheet(), Console(file=coloured, width=100, force_terminal=True,
                                      color_system="standard"))
    assert "\x1b[31m" in coloured.getvalue()    # red "fail"

    monkeypatch.setenv("NO_COLOR", "1")
    no_colour = io.StringIO()
    print_sheet(full_sheet(), Console(file=no_colour, width=100, force_terminal=True,
                                      color_system="standard"))
    assert "\x1b[31m" not in no_colour.getvalue() and "\x1b[32m" not in no_colour.getvalue()


def test_table_is_data_until_a_console_draws_it():
    renderable = sheet_table(full_sheet())
    narrow = Console(width=60, color_system=None, record=True, file=io.StringIO())
    narrow.print(renderable)
    assert all(len(line) <= 60 for line in narrow.export_text().splitlines())
