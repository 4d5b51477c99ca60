"""The worst test point's inputs in every report a student reads after a push (Markdown job
summary, JUnit, Gradescope, the Classroom message): the values themselves, as ``grade -v``
shows them, never a bare ``x=array(5)``; a matrix one row a line, aligned in plain text."""

import json
import xml.etree.ElementTree as ET

from gradcheck.render.github import classroom_result
from gradcheck.render.gradescope import to_gradescope
from gradcheck.render.junit import to_junit
from gradcheck.render.markdown import to_markdown
from tests.sample_results import full_sheet

VECTOR = "x = [0.1, 0.2, 0.3, 0.4, 0.5]"              # 1e: a 5-vector, timed out
MATRIX = ["A = [[0.2,   1, 0],", "     [  0, 0.5, 1]]"]  # 1h: a 2x3 matrix beside x and b


def _texts() -> dict[str, str]:
    sheet = full_sheet()
    junit = ET.fromstring(to_junit(sheet))
    failures = "\n".join(node.text or "" for node in junit.iter()
                         if node.tag in ("failure", "error"))
    gradescope = "\n".join(t["output"] for t in json.loads(to_gradescope(sheet))["tests"])
    classroom = "\n".join(t["message"] for t in classroom_result(sheet)["tests"])
    return {"markdown": to_markdown(sheet), "junit": failures, "gradescope": gradescope,
            "classroom": classroom}


def test_every_report_shows_a_vectors_values():
    for name, text in _texts().items():
        assert VECTOR in text, name
        assert "array(5)" not in text and "array(2×3)" not in text, name


def test_a_matrix_is_shown_row_by_row_under_its_first_row():
    for name, text in _texts().items():
        lines = text.splitlines()
        first = next((i for i, line in enumerate(lines) if line.endswith(MATRIX[0])), None)
        assert first is not None, (name, text)
        # the second row starts where the first row's entries start
        column = lines[first].index(MATRIX[0])
        assert lines[first + 1] == " " * column + MATRIX[1], (name, lines[first:first + 2])
