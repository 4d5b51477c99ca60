"""--format gradescope: Gradescope's documented results.json fields; score = sum of tests."""

import json
import math

from gradcheck.render.gradescope import to_gradescope
from tests.sample_results import full_sheet, load_error_sheet, perfect_sheet

FORMATS = {"text", "html", "simple_format", "md", "ansi"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def test_documented_fields_and_one_test_per_automatic_exercise():
    sheet = full_sheet()
    data = json.loads(to_gradescope(sheet))
    assert data["score"] == sheet.score and data["execution_time"] == 1.234
    assert data["output_format"] in FORMATS and data["test_output_format"] in FORMATS
    assert data["visibility"] in VISIBILITY and data["stdout_visibility"] in VISIBILITY
    tests = data["tests"]
    assert [t["number"] for t in tests] == ["1a", "1b", "1c", "1d", "1e", "1f", "1h", "3a"]
    for test in tests:
        assert set(test) == {"name", "number", "score", "max_score", "status", "output",
                             "output_format", "tags", "visibility"}
        assert test["status"] in ("passed", "failed") and test["visibility"] == "visible"
    assert [t["status"] for t in tests].count("passed") == 1
    assert tests[1]["score"] == 1.2 and tests[1]["max_score"] == 2.0
    assert "sign flipped" in tests[1]["output"] and "x = 2, mu = -0.5" in tests[1]["output"]


def test_score_is_the_sum_of_the_tests_and_manual_points_are_not_tests():
    sheet = full_sheet()
    data = json.loads(to_gradescope(sheet))
    assert math.isclose(math.fsum(t["score"] for t in data["tests"]), data["score"])
    assert math.isclose(math.fsum(t["max_score"] for t in data["tests"]), sheet.max_score)
    assert data["extra_data"]["manual"] == [
        {"id": "2", "title": "Computational graph by hand (pen and paper)", "points": 36.0}]
    assert "Scored by hand (not part of this score)" in data["output"]
    assert data["extra_data"]["seed"] == 2024


def test_load_error_and_perfect_sheet():
    broken = json.loads(to_gradescope(load_error_sheet()))
    assert broken["score"] == 0 and "did not load" in broken["output"]
    assert all(t["status"] == "failed" for t in broken["tests"])
    perfect = json.loads(to_gradescope(perfect_sheet()))
    assert perfect["score"] == 4.0 and all(t["status"] == "passed" for t in perfect["tests"])
