"""The Markdown summary: golden files, escaping of student text, fences, the size limit.

Regenerate the golden files after an intended change:
``GRADCHECK_UPDATE_GOLDEN=1 python -m pytest tests/test_render_markdown.py`` (review the diff).
"""

import dataclasses
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradcheck.render.markdown import (
    DEFAULT_MAX_BYTES,
    SUMMARY_LIMIT,
    code_block,
    code_span,
    md_cell,
    md_escape,
    to_markdown,
)
from gradcheck.results import FAIL
from tests.sample_results import (
    HOSTILE_OUTPUT,
    bad,
    check_golden,
    exercise,
    full_sheet,
    load_error_sheet,
    perfect_sheet,
    point,
)

FENCE = re.compile(r"^(`{3,})[^`\n]*\n.*?^\1$", re.S | re.M)


def outside_code(text):
    """The Markdown without its fenced code blocks (where anything may appear literally)."""
    return FENCE.sub("", text)


@pytest.mark.parametrize("name, make", [
    ("markdown_full.md", full_sheet),
    ("markdown_load_error.md", load_error_sheet),
    ("markdown_perfect.md", perfect_sheet),
])
def test_markdown_matches_golden_file(name, make):
    check_golden(name, to_markdown(make()))


def test_heading_table_total_manual_and_details():
    text = to_markdown(full_sheet())
    assert text.startswith("# sheet01: 10.53 / 26 points\n")
    assert "| **1b** Gaussian bump exp(-(x - mu)^2 / (2 sigma^2)) | 1.2/2 | \u274c fail |" in text
    assert "\u2705 pass" in text and "\u23f1\ufe0f timeout" in text and "\U0001f4a5 error" in text
    assert "**Total 10.53/26 automatic points (+36 manual, scored by a TA)**" in text
    assert "### Scored by a TA" in text and "(36 points)" in text
    # One <details> per exercise that lost points, with the worst point of 1b.
    assert text.count("<details>") == 7 + 2          # 7 exercises, 2 output blocks
    assert "- **inputs:** `x = 2, mu = -0.5, sigma = 0.9`" in text
    assert "- **df/dx:** expected 0.125, received -0.125" in text


def test_student_text_cannot_break_the_page():
    text = to_markdown(full_sheet())
    rest = outside_code(text)
    assert "<script>" not in rest and "</details><script>" not in rest
    assert rest.count("<details>") == rest.count("</details>")
    # Every table row keeps its 4 columns although a diagnosis holds a pipe.
    rows = [line for line in rest.splitlines() if line.startswith("| ")]
    assert len(rows) == 2 + 9 and all(len(re.findall(r"(?<!\\)\|", row)) == 5 for row in rows)
    # The printed output is in a fence longer than the four backticks it contains.
    assert "`````text\ndebug: x = 1.0\n" in text
    assert "\x1b" not in text and "\r" not in text


def test_load_error_is_explained_once_in_a_code_block():
    text = to_markdown(load_error_sheet())
    assert "**The submission did not load**" in text
    assert "```text\nSyntaxError: invalid syntax (sheet01.py, line 3)\n" in text
    assert "### What went wrong" not in text


def test_long_output_is_cut_to_max_bytes_with_a_note():
    sheet = full_sheet()
    many = tuple(
        exercise(f"{n}", "a Jacobian", 2.0, 0.0, FAIL,
                 point(FAIL, {"x": [1.0] * 50},
                       bad("values", "wrong values " + "y" * 2000, rel=1.0, expected=1.0,
                           received=2.0)),
                 message="wrong values " + "y" * 2000, output="z" * 50_000)
        for n in range(40))
    huge = dataclasses.replace(sheet, exercises=sheet.exercises + many,
                               output=HOSTILE_OUTPUT * 50_000)
    text = to_markdown(huge)
    assert len(text.encode()) <= DEFAULT_MAX_BYTES < SUMMARY_LIMIT
    assert "left out to keep this page under" in text
    assert text.count("| ") > 40 and "**Total" in text        # the table is always there
    small = to_markdown(huge, max_bytes=20_000)
    assert len(small.encode()) <= 20_000 and "left out" in small
    tiny = to_markdown(huge, max_bytes=3_000)
    assert len(tiny.encode()) <= 3_000 and tiny.startswith("# sheet01")


def test_nothing_is_left_out_when_it_fits():
    text = to_markdown(full_sheet())
    assert "left out" not in text and "Printed during 3a" in text


@given(st.text())
def test_code_block_fence_is_longer_than_any_backtick_run(text):
    block = code_block(text)
    fence = block.split("text\n", 1)[0]
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    assert set(fence) == {"`"} and len(fence) > longest and block.endswith("\n" + fence)


@given(st.text())
def test_escaped_text_has_no_html_or_cell_breaks(text):
    escaped = md_cell(text)
    assert "<" not in escaped and ">" not in escaped and "\n" not in escaped
    assert not re.search(r"(?<!\\)\|", escaped)
    assert "<" not in md_escape(text)


def test_code_span_survives_backticks():
    assert code_span("a``b") == "```a``b```"
    assert code_span("`x") == "`` `x ``"


def test_a_multi_line_diagnosis_is_shown_once_in_the_details():
    message = "ValueError: first line of the trouble\nsecond line in d_1c (sheet01.py, line 4)"
    failing = [point("error", {"x": 1.0}, message=message) for _ in range(2)]
    ex = exercise("1c", "sigmoid", 2.0, 0.0, "error", *failing,
                  message=f"{message} (2 of 2 test points failed)")
    sheet = dataclasses.replace(perfect_sheet(), exercises=(ex,), score=0.0, max_score=2.0)
    text = to_markdown(sheet)
    details = text[text.index("<details>"):]
    assert details.count("second line in d_1c") == 1, details


def test_student_text_cannot_become_a_link_or_leave_escape_remnants():
    import dataclasses
    import re as _re

    sheet = full_sheet()
    hostile = ("see https://evil.example/x?a=1 and www.evil.example or me@evil.example "
               "\x1b[31mred\x1b[0m \u202eevil\u202c \x1b]8;;http://osc.example\x07click")
    odd = dataclasses.replace(sheet.exercises[1], message=hostile, output=hostile)
    text = to_markdown(dataclasses.replace(sheet, exercises=(odd, *sheet.exercises[2:]),
                                           warnings=(hostile,)))
    assert "[31m" not in text and "[0m" not in text and "\u202e" not in text
    assert "\x1b" not in text and "osc.example" not in text
    # outside code (spans and fences) no URL, www. or address is left for GitHub to link
    outside = _re.sub(r"(`+)[^`].*?\1|```+.*?```+|<code>.*?</code>", "", text, flags=_re.S)
    for link in ("https://evil", "www.evil", "me@evil"):
        assert link not in outside
    assert "`https://evil.example/x?a=1`" in text
