"""Grading sheet01 end to end through the real CLI: the reference solution, the template, and
deliberately wrong submissions that must lose exactly the points of what they get wrong."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcheck.cli import main
from gradcheck.errors import SpecError

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "sheet01.py"
SUBMISSIONS = Path(__file__).resolve().parents[1] / "submissions"
CALLED = ["1a", "1b", "1c", "1d", "1e", "1f1", "1f2", "1f3", "1g", "1h", "3a-add", "3a-sub",
          "3a-mul", "3a-div", "3a-square", "3a-sqrt", "3a-log", "3a-sum", "3b-A", "3b-B"]
GRAPH = ["2a-A", "2a-B", "2b-A", "2b-B", "2c-A", "2c-B"]     # read as text, never run
AUTOMATIC = CALLED[:10] + GRAPH + CALLED[10:]


def grade(*args):
    return CliRunner().invoke(main, ["grade", "sheet01", *args])


def grade_json(submission, *args):
    result = grade("--submission", str(submission), "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.output)


def wrong_submission(tmp_path, override: str) -> Path:
    """The reference solution with one deliberate mistake appended (later definitions win)."""
    text = SOLUTION.read_text() + "\n\n" + (SUBMISSIONS / override).read_text()
    path = tmp_path / "sheet01.py"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def reference():
    return grade_json(SOLUTION)


def by_id(report):
    return {e["id"]: e for e in report["exercises"]}


def test_reference_solution_scores_full_marks(reference):
    code, report = reference
    assert code == 0
    assert (report["score"], report["max_score"]) == (100, 100)
    exercises = by_id(report)
    assert [e["id"] for e in report["exercises"] if e["kind"] != "manual"] == AUTOMATIC
    assert all(exercises[i]["status"] == "pass" for i in AUTOMATIC)
    assert report["manual_points"] == 0
    for key in ("sheet", "seed", "spec_sha256", "gradcheck_version"):
        assert report[key] not in (None, "")
    for e in report["exercises"]:
        for key in ("id", "title", "kind", "student", "points", "score", "status", "message",
                    "checks"):
            assert key in e
    assert all(len(exercises[i]["checks"]) >= 5 for i in CALLED)
    assert all(len(exercises[i]["checks"]) >= 2 for i in GRAPH)


def test_table_output_shows_total(reference):
    result = grade("--submission", str(SOLUTION))
    assert result.exit_code == 0, result.output
    assert "100/100" in result.output.replace(" ", "")


def test_template_scores_zero_not_implemented(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["init", "sheet01", "-d", str(tmp_path)]).exit_code == 0
    again = runner.invoke(main, ["init", "sheet01", "-d", str(tmp_path)])
    assert again.exit_code == 2 and "already exists" in again.output
    code, report = grade_json(tmp_path / "sheet01.py")
    assert code == 1 and report["score"] == 0
    assert {by_id(report)[i]["status"] for i in AUTOMATIC} == {"not implemented"}
    assert all("NotImplementedError" in by_id(report)[i]["message"]
               and "failed" not in by_id(report)[i]["message"]
               for i in CALLED)


@pytest.mark.parametrize("override, losers", [
    ("transposed_1d.py", {"1d"}),
    ("mul_swapped.py", {"3a-mul", "3b-A", "3b-B"}),
    ("sum_ignores_upstream.py", {"3a-sum"}),
    ("factor_two_1h_sign_1c.py", {"1h", "1c"}),
    ("numerical_1a.py", {"1a"}),
    ("inner_factor_1f3.py", {"1f3"}),
])
def test_wrong_submissions_lose_exactly_their_points(tmp_path, override, losers):
    code, report = grade_json(wrong_submission(tmp_path, override))
    exercises = by_id(report)
    assert code == 1
    for exercise_id in AUTOMATIC:
        e = exercises[exercise_id]
        if exercise_id in losers:
            assert e["status"] == "fail" and e["score"] == 0, e
        else:
            assert e["status"] == "pass" and e["score"] == e["points"], e
    assert report["score"] == 100 - sum(exercises[i]["points"] for i in losers)


@pytest.mark.parametrize("override, exercise_id, phrase", [
    ("transposed_1d.py", "1d", "transpose"),
    ("factor_two_1h_sign_1c.py", "1h", "factor 2"),
    ("factor_two_1h_sign_1c.py", "1c", "sign"),
    ("numerical_1a.py", "1a", "difference quotient"),
    ("numerical_gradient_1a.py", "1a", "central difference, h=0.0002"),
    ("five_point_1a.py", "1a", "five-point stencil, h=0.005"),
    ("relative_forward_1a.py", "1a", "forward difference, h=0.0001·|x|"),
    ("inner_factor_1f3.py", "1f3", "a factor that changes from point to point"),
    ("sum_ignores_upstream.py", "3a-sum", "ignores its upstream gradient"),
])
def test_wrong_submissions_are_diagnosed(tmp_path, override, exercise_id, phrase):
    _, report = grade_json(wrong_submission(tmp_path, override))
    assert phrase in by_id(report)[exercise_id]["message"]


def test_syntax_error_scores_zero_and_shows_the_line():
    result = grade("--submission", str(SUBMISSIONS / "syntax_error.py"))
    assert result.exit_code == 1, result.output
    assert "line 8" in result.output
    assert "Traceback" not in result.output
    code, report = grade_json(SUBMISSIONS / "syntax_error.py")
    assert report["score"] == 0 and "line 8" in report["load_error"]
    assert {by_id(report)[i]["status"] for i in AUTOMATIC} == {"error"}


def test_function_that_never_returns_times_out_and_the_rest_is_graded(tmp_path):
    code, report = grade_json(wrong_submission(tmp_path, "loops_forever_1c.py"),
                              "--timeout", "0.5")
    exercises = by_id(report)
    assert exercises["1c"]["status"] == "timeout" and exercises["1c"]["score"] == 0
    assert "did not finish" in exercises["1c"]["message"]
    assert "5 more test points not run" in exercises["1c"]["message"]
    assert report["score"] == 98


def test_notebook_with_the_reference_code_scores_full_marks(tmp_path):
    code = SOLUTION.read_text()
    parts = code.split("\n\n\n")
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Sheet 01"]},
             {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": ["%matplotlib inline\n", "!pip install numpy\n", "import numpy as np"]}]
    cells += [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
               "source": part.splitlines(keepends=True)} for part in parts]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "sheet01.ipynb"
    path.write_text(json.dumps(notebook))
    code, report = grade_json(path)
    assert code == 0 and report["score"] == 100, report


def _without_timings(value):
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k != "duration"}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def test_same_seed_same_json(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADCHECK_CACHE", "off")  # both runs draw their points afresh
    path = wrong_submission(tmp_path, "factor_two_1h_sign_1c.py")
    _, first = grade_json(path, "--seed", "11")
    _, second = grade_json(path, "--seed", "11")
    _, other = grade_json(path, "--seed", "12")
    assert first["seed"] == 11
    assert _without_timings(first) == _without_timings(second)
    assert _without_timings(first) != _without_timings(other)


def test_missing_submission_is_a_usage_error(tmp_path, monkeypatch):
    result = grade("--submission", str(tmp_path / "nope.py"))
    assert result.exit_code == 2 and "does not exist" in result.output
    monkeypatch.chdir(tmp_path)
    result = grade()
    assert result.exit_code == 2 and "sheet01.py" in result.output


def test_default_submission_is_found_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("sheet01.py").write_text(SOLUTION.read_text())
    result = grade("--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["submission"] == "sheet01.py"


def test_a_spec_error_found_while_drawing_points_names_the_file(tmp_path):
    spec = tmp_path / "kink.yaml"
    spec.write_text(
        "sheet: kink\ntitle: t\nexercises:\n"
        "  - id: a\n    title: abs\n    points: 1\n    student: d_abs\n"
        "    function: abs(x)\n    inputs: {x: {shape: []}}\n    wrt: x\n"
        "    points_at: [{x: 0.0}]\n")
    (tmp_path / "kink.py").write_text("def d_abs(x):\n    return 0.0\n")
    result = CliRunner().invoke(main, ["grade", str(spec), "-s", str(tmp_path / "kink.py")])
    assert result.exit_code == 2
    assert f"{spec}:11: points_at:" in result.output and "not differentiable" in result.output


KINKED = ("sheet: kinked\ntitle: t\nmodule: kinked\nexercises:\n"
          "  - id: a\n    title: abs at 0\n    points: 2\n    student: d_abs\n"
          "    function: abs(x)\n    inputs: {x: {shape: [], domain: [1e-300, 2e-300]}}\n"
          "    wrt: x\n"
          "    points_at: [{random: 2}]\n")


def test_agreement_is_checked_only_where_an_answer_fails(tmp_path, monkeypatch):
    # Every random point of this spec lies within 2e-300 of the kink of abs: finite
    # differences cannot confirm the reference there. A grade checks that only where an
    # answer fails, and then does not hold the point against the student; validate draws
    # eagerly and refuses the spec.
    from gradcheck.grading import grader, prepared
    from gradcheck.spec import parse_sheet
    from gradcheck.spec.sampling import sample_points

    sheet = parse_sheet(KINKED, file="kinked.yaml")
    with pytest.raises(SpecError, match="no usable random test point"):
        sample_points(sheet.exercise("a"), 0)
    checked = []
    real = prepared.agreement_problem
    monkeypatch.setattr(prepared, "agreement_problem",
                        lambda e, p: checked.append(p) or real(e, p))
    ready = grader.prepare(sheet, 0)
    right, wrong = tmp_path / "right.py", tmp_path / "wrong.py"
    right.write_text("def d_abs(x):\n    return 1.0\n")
    wrong.write_text("def d_abs(x):\n    return 0.0\n")
    assert grader.grade(ready, right).score == 2 and not checked
    result = grader.grade(ready, wrong)
    assert result.score == 2 and len(checked) == 2
    assert all("not graded at this point" in c.message and "not differentiable" in c.message
               for c in result.exercises[0].checks)
    grader.grade(ready, wrong)
    assert len(checked) == 2   # kept in the prepared sheet for the next submissions


def test_difference_quotients_are_computed_once_per_prepared_sheet(tmp_path, monkeypatch):
    from gradcheck.grading import grader
    from gradcheck.spec import load_sheet

    prepared = grader.prepare(load_sheet("sheet01"), 3)
    submission = wrong_submission(tmp_path, "numerical_1a.py")
    calls = []
    from gradcheck.grading import judge

    real = judge._quotient_model
    monkeypatch.setattr(judge, "_quotient_model",
                        lambda *a, **k: calls.append(a) or real(*a, **k))
    first = {e.id: e for e in grader.grade(prepared, submission).exercises}
    assert first["1a"].score == 0 and "difference quotient" in first["1a"].message
    assert calls and all(a[0].id == "1a" for a in calls)
    done = len(calls)
    again = {e.id: e for e in grader.grade(prepared, submission).exercises}
    assert again["1a"].message == first["1a"].message and len(calls) == done


def test_requests_are_made_once_per_prepared_sheet_and_timeout(tmp_path, monkeypatch):
    from gradcheck.grading import grader
    from gradcheck.spec import load_sheet

    made = []
    real = grader._ExerciseGrader._request
    monkeypatch.setattr(grader._ExerciseGrader, "_request",
                        lambda self, point: made.append(point) or real(self, point))
    prepared = grader.prepare(load_sheet("sheet01"), 3)
    right = grader.grade(prepared, SOLUTION, timeout=2)
    asked = sum(len(points) for e, points in prepared.points.items()
                if prepared.sheet.exercise(e).kind != "graph")
    assert right.score == right.max_score and len(made) == asked
    wrong = grader.grade(prepared, wrong_submission(tmp_path, "transposed_1d.py"), timeout=2)
    assert len(made) == asked and wrong.score < right.score   # the same requests again
    grader.grade(prepared, SOLUTION, timeout=3)
    assert len(made) == 2 * asked                            # another timeout: new ones


def test_a_graph_exercise_evaluates_the_function_once_per_prepared_sheet(monkeypatch):
    from gradcheck.grading import grader
    from gradcheck.spec import load_sheet
    from gradcheck.spec.model import Exercise

    evaluated = []
    real = Exercise.evaluate
    monkeypatch.setattr(Exercise, "evaluate",
                        lambda self, values: evaluated.append(self.id) or real(self, values))
    prepared = grader.prepare(load_sheet("sheet01"), 3)
    evaluated.clear()
    first = grader.grade(prepared, SOLUTION)
    graphs = {e.id for e in prepared.sheet.automatic if e.kind == "graph"
              and e.graph.part == "variables"}
    assert first.score == first.max_score
    assert {e for e in evaluated if e in graphs} == graphs
    done = len(evaluated)
    again = grader.grade(prepared, SOLUTION)
    assert [e for e in evaluated[done:] if e in graphs] == [] and again.score == first.score
