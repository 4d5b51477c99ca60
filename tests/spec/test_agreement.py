"""The check that finite differences agree with the reference at a test point: a smooth point
beside the edge of the domain or beside a kink is verified (the reference backprop is exact
there), a point at a kink is not, and a wrong answer earns nothing at a point the check once
could not verify (counted as passed: sheet01's 1d at seed 13 gave a transposed Jacobian 0.4 of
2 points)."""

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from gradcheck.cli import main
from gradcheck.spec import load_sheet, parse_sheet
from gradcheck.spec.sampling import agreement_problem, sample_points

ROOT = Path(__file__).resolve().parents[2]

RELU = """\
sheet: relu
title: relu
exercises:
  - id: relu
    title: relu
    points: 1
    student: d_relu
    function: "sum(where(x > 0, x, 0) * w)"
    inputs:
      x: {shape: [4]}
      w: {shape: [4]}
    wrt: x
    points_at: [POINT]
"""


def test_sheet01_1d_beside_the_edge_of_its_domain_is_verified():
    # sqrt(x1**2 - x3) with x1**2 - x3 = 0.33: the default steps (0.5 of |x|) cross it
    exercise = load_sheet("sheet01").exercise("1d")
    point = sample_points(exercise, 13, verify=False)[1]
    np.testing.assert_allclose(point.inputs["x"], [-1.442, -1.939, 1.745], atol=1e-3)
    assert agreement_problem(exercise, point) == ""


@pytest.mark.parametrize("entry, verified", [(1e-4, True), (-3e-4, True), (0.0, False)])
def test_beside_a_kink_is_verified_and_at_it_is_not(entry, verified):
    text = RELU.replace("POINT", f"{{x: [{entry}, 1.5, -0.7, 0.9], w: [1.0, 2.0, -1.0, 0.5]}}")
    exercise = parse_sheet(textwrap.dedent(text), file="relu.yaml").exercises[0]
    point = sample_points(exercise, 0, verify=False, verify_fixed=False)[0]
    assert (agreement_problem(exercise, point) == "") == verified


def _score_1d(tmp_path, body: str) -> float:
    text = (ROOT / "solutions" / "sheet01.py").read_text() + "\n\n" + textwrap.dedent(body)
    path = tmp_path / "sheet01.py"
    path.write_text(text)
    result = CliRunner().invoke(main, ["grade", "sheet01", "-s", str(path), "--seed", "13",
                                       "-f", "json"])
    return next(e["score"] for e in json.loads(result.output)["exercises"] if e["id"] == "1d")


def test_a_transposed_1d_earns_nothing_at_seed_13_and_the_right_one_everything(tmp_path):
    right = _score_1d(tmp_path, "")
    transposed = _score_1d(tmp_path, """\
        _jac_1d = jac_1d


        def jac_1d(x):
            return _jac_1d(x).T
        """)
    assert (right, transposed) == (2.0, 0.0)
