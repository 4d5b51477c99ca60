"""The bundled sheets beside sheet01, graded end to end through the real CLI: each reference
solution scores full marks, each generated template scores zero, and deliberately wrong
submissions lose exactly the points of what they get wrong."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcheck.cli import main
from gradcheck.spec import bundled_sheets, load_sheet

ROOT = Path(__file__).resolve().parents[2]
SUBMISSIONS = Path(__file__).resolve().parents[1] / "submissions"
SHEETS = {  # sheet -> (module, automatic points, exercise ids in order)
    "vector-calculus": ("vector_calculus", 25, ["sigmoid", "relu", "affine", "sqnorm", "a-x",
                                                "a-b", "a-W", "y-a", "y-x", "y-b", "lsq"]),
    "matrix-calculus": ("matrix_calculus", 31, ["partial-1", "partial-2", "chain-t", "dL-dx",
                                                "Ax-x", "Ax-A", "tanh-b", "tanh-A", "tanh-x",
                                                "loss", "two-layer", "cross-entropy"]),
    "d2l-calculus": ("d2l_calculus", 11, ["Ax", "xA", "xAx", "sqnorm", "chain"]),
}


def grade_json(sheet, submission):
    result = CliRunner().invoke(main, ["grade", sheet, "--submission", str(submission),
                                       "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.output)


def solution(sheet):
    return ROOT / "solutions" / f"{SHEETS[sheet][0]}.py"


def wrong_submission(tmp_path, sheet, override):
    """The reference solution with deliberate mistakes appended (later definitions win)."""
    path = tmp_path / f"{SHEETS[sheet][0]}.py"
    path.write_text(solution(sheet).read_text() + "\n\n" + (SUBMISSIONS / override).read_text())
    return path


def by_id(report):
    return {e["id"]: e for e in report["exercises"]}


@pytest.mark.parametrize("sheet", sorted(SHEETS))
def test_reference_solution_scores_full_marks(sheet):
    module, points, ids = SHEETS[sheet]
    code, report = grade_json(sheet, solution(sheet))
    assert code == 0, report
    assert (report["score"], report["max_score"]) == (points, points)
    assert [e["id"] for e in report["exercises"]] == ids
    assert {e["status"] for e in report["exercises"]} == {"pass"}
    assert all(len(e["checks"]) >= 5 for e in report["exercises"])
    assert report["module"] == module


@pytest.mark.parametrize("sheet", sorted(SHEETS))
def test_template_scores_zero_not_implemented(tmp_path, sheet):
    module, points, ids = SHEETS[sheet]
    runner = CliRunner()
    result = runner.invoke(main, ["init", sheet, "-d", str(tmp_path)])
    assert result.exit_code == 0, result.output
    template = tmp_path / f"{module}.py"
    text = template.read_text()
    for exercise in load_sheet(sheet).automatic:
        assert f"def {exercise.student}(" in text
        assert f"Exercise {exercise.id} " in text
    code, report = grade_json(sheet, template)
    assert code == 1 and report["score"] == 0 and report["max_score"] == points
    assert {by_id(report)[i]["status"] for i in ids} == {"not implemented"}


# sheet, override file, {exercise: score it keeps} (None: computed from its test points),
# and a phrase the diagnosis of one exercise must contain
WRONG = [
    ("vector-calculus", "vc_transposed_a_x_half_lsq.py", {"a-x": 0, "lsq": 0},
     ("lsq", "factor 1/2")),
    ("vector-calculus", "vc_relu_one_y_x_without_dsigma.py", {"relu": None, "y-x": 0},
     ("relu", "wrong value")),
    ("matrix-calculus", "mc_row_vector_dL_dx_half_backprop.py", {"dL-dx": 0, "two-layer": 0},
     ("dL-dx", "wrong shape (1, ")),
    ("matrix-calculus", "mc_tanh_A_without_dtanh_ce_sign.py", {"tanh-A": 0,
                                                               "cross-entropy": 0},
     ("cross-entropy", "sign flipped")),
    ("d2l-calculus", "d2l_book_layout.py", {"Ax": 0, "xA": 0}, ("Ax", "transpose")),
    ("d2l-calculus", "d2l_symmetric_xAx_chain_missing_path.py", {"xAx": 0, "chain": 0},
     ("xAx", "wrong values")),
]


@pytest.mark.parametrize("sheet, override, kept, diagnosis", WRONG,
                         ids=[w[1][:-3] for w in WRONG])
def test_wrong_submissions_lose_exactly_their_points(tmp_path, sheet, override, kept,
                                                     diagnosis):
    module, points, ids = SHEETS[sheet]
    code, report = grade_json(sheet, wrong_submission(tmp_path, sheet, override))
    exercises = by_id(report)
    assert code == 1
    expected_total = 0.0
    for exercise_id in ids:
        e = exercises[exercise_id]
        if exercise_id not in kept:
            assert e["status"] == "pass" and e["score"] == e["points"], e
            expected_total += e["points"]
            continue
        assert e["status"] == "fail", e
        score = kept[exercise_id]
        if score is None:  # ReLU′ = 1 everywhere: right exactly at the points with x > 0
            right = [c for c in e["checks"] if c["inputs"]["x"] > 0]
            assert 0 < len(right) < len(e["checks"])
            assert all(c["status"] == "pass" for c in right)
            score = round(e["points"] * len(right) / len(e["checks"]), 6)
        assert e["score"] == score, e
        expected_total += score
    assert report["score"] == pytest.approx(expected_total)
    assert report["score"] < points
    exercise_id, phrase = diagnosis
    assert phrase in exercises[exercise_id]["message"], exercises[exercise_id]["message"]


def test_list_shows_every_sheet():
    result = CliRunner().invoke(main, ["list"])
    assert result.exit_code == 0, result.output
    for sheet in ["sheet01", *SHEETS]:
        assert sheet in result.output
    for _, points, _ in SHEETS.values():
        assert f"{points} automatic points" in result.output


def test_specs_say_which_convention_they_grade():
    for sheet in SHEETS:
        text = (ROOT / "gradcheck" / "exercises" / f"{sheet}.yaml").read_text()
        assert "# Layout graded here" in text
        assert "f.shape + x.shape" in text


@pytest.mark.parametrize("name", bundled_sheets())
def test_every_template_is_tidy_python(name):
    from gradcheck.spec.template import render_template

    text = render_template(load_sheet(name))
    compile(text, f"{name}.py", "exec")
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "\n\n\n\n" not in text
