"""What a notebook cell shows: exercises and sheets as text (golden) and as HTML (escaped,
balanced, inline styles only)."""

import dataclasses
from html.parser import HTMLParser

from gradcheck.render.notebook import (
    exercises_html,
    exercises_text,
    input_value,
    problem_html,
    sheet_html,
    sheet_text,
)
from tests.sample_results import HOSTILE_OUTPUT, check_golden, full_sheet

VOID = {"br", "hr", "img", "meta", "link", "input"}


class _Tags(HTMLParser):
    """Every start tag, and whether each end tag closes the innermost open one."""

    def __init__(self):
        super().__init__()
        self.open: list[str] = []
        self.seen: list[str] = []
        self.balanced = True

    def handle_starttag(self, tag, attrs):
        self.seen.append(tag)
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.balanced = False


def tags(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    assert parser.balanced and not parser.open, html
    return parser


def hostile_exercises():
    sheet = full_sheet()
    # every exercise printed the hostile text, and one has markup in its title and message
    first = dataclasses.replace(sheet.exercises[3], title="<img src=x onerror=alert(1)>",
                                output=HOSTILE_OUTPUT)
    return (first,) + sheet.exercises[1:3] + sheet.exercises[4:]


def test_exercises_as_text_match_golden():
    check_golden("notebook_exercises.txt",
                 exercises_text(full_sheet().exercises, sheet="sheet01", seed=2024) + "\n")


def test_a_failing_exercise_shows_its_worst_point_in_full():
    text = exercises_text([full_sheet().exercises[6]], sheet="sheet01", seed=2024)
    assert "worst test point (2 of 2):" in text
    assert "  input A              [[0.2 1.  0. ]\n                        [0.  0.5 1. ]]" in text
    assert "  df/dx, entry [0, 1]  expected 0.98, received 0\n" in text
    assert "  shape                expected (2, 3), received (3, 2)\n" in text


def test_html_escapes_everything_a_student_or_a_spec_controls():
    html = exercises_html(hostile_exercises(), sheet="sheet01", seed=2024)
    found = tags(html)
    assert set(found.seen) <= {"div", "b", "span", "table", "tr", "th", "td", "details",
                               "summary", "pre", "code"}
    assert "<script" not in html and "<img" not in html
    assert "&lt;/details&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\x1b" not in html and "\x07" not in html


def test_html_says_which_grade_counts():
    html = exercises_html(full_sheet().exercises[:1], sheet="sheet01", seed=2024)
    assert "The grade that counts is the one from <code>gradcheck grade sheet01</code>." in html
    assert "seed 2024" in html


def test_the_sheet_is_the_terminal_table():
    sheet = full_sheet()
    text = sheet_text(sheet)
    assert "Total 10.53/26 automatic points (+36 manual, scored by a TA)" in text
    assert text.endswith("The grade that counts is the one from\n`gradcheck grade sheet01`.")
    html = sheet_html(dataclasses.replace(sheet, output=HOSTILE_OUTPUT))
    found = tags(html)
    assert set(found.seen) <= {"div", "pre", "span", "code"}
    assert "Total 10.53/26 automatic points" in html and "<script" not in html


def test_a_problem_is_escaped():
    html = problem_html("no exercise '<b>'")
    tags(html)
    assert "&lt;b&gt;" in html


def test_inputs_are_shown_in_full_up_to_a_size():
    assert input_value(2.5) == "2.5"
    assert input_value([1.0, 2.0]) == "[1. 2.]"
    assert input_value([[0.0] * 10] * 10) == "an array of shape (10, 10)"
