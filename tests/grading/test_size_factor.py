"""A factor that changes between points but equals a size of the inputs at every point (a
missing 1/N or 1/√d) is named as that size, not as "a factor that changes"."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcheck.cli import main

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"

SPEC = """\
sheet: means
title: "Means over a batch"
module: means
seed: 7
exercises:
  - id: mse
    title: "mean squared error over a batch of N"
    points: 2
    student: grad_mse
    function: "sum((x - y)**2) / N"
    sizes: {N: [2, 9]}
    inputs:
      x: {shape: [N]}
      y: {shape: [N]}
    wrt: x
    points_at: [{random: 5}]
  - id: scaled
    title: "a dot product scaled by 1/sqrt(D)"
    points: 2
    student: grad_scaled
    function: "sum(q * k) / sqrt(D)"
    sizes: {D: [2, 16]}
    inputs:
      q: {shape: [D]}
      k: {shape: [D]}
    wrt: q
    points_at: [{random: 5}]
"""

RIGHT = """\
import numpy as np

def grad_mse(x, y):
    return {mse}

def grad_scaled(q, k):
    return {scaled}
"""


def _grade(tmp_path, mse: str, scaled: str) -> tuple[int, dict[str, dict]]:
    spec = tmp_path / "means.yaml"
    spec.write_text(SPEC)
    submission = tmp_path / "means.py"
    submission.write_text(RIGHT.format(mse=mse, scaled=scaled))
    result = CliRunner().invoke(main, ["grade", str(spec), "-s", str(submission), "-f", "json"])
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.output)
    return result.exit_code, {e["id"]: e for e in report["exercises"]}


def test_correct_means_pass(tmp_path):
    code, exercises = _grade(tmp_path, "2 * (x - y) / len(x)", "k / np.sqrt(len(k))")
    assert code == 0, exercises


def test_a_missing_one_over_n_names_the_size(tmp_path):
    _, exercises = _grade(tmp_path, "2 * (x - y)", "k")
    mse, scaled = exercises["mse"]["message"], exercises["scaled"]["message"]
    assert exercises["mse"]["score"] == 0 and exercises["scaled"]["score"] == 0
    assert re.match(r"d/dx: off by a factor N \(= the size N, the length of x: "
                    r"\d( or \d|(, \d)+ or \d) at these points\): a division by N is missing",
                    mse), mse
    assert "changes from point to point" not in mse
    assert re.match(r"d/dq: off by a factor √D \(= the square root of the size D, the length "
                    r"of q", scaled), scaled
    assert "a division by √D is missing" in scaled


def test_an_extra_division_by_the_size_is_named_too(tmp_path):
    _, exercises = _grade(tmp_path, "2 * (x - y) / len(x)**2", "k / len(k)")
    assert "off by a factor 1/N" in exercises["mse"]["message"]
    assert "an extra division by N" in exercises["mse"]["message"]
    assert "off by a factor 1/√D" in exercises["scaled"]["message"]


@pytest.mark.parametrize("mse, phrase", [
    # a constant factor stays a constant factor
    ("4 * (x - y) / len(x)", "off by a constant factor 2"),
    # a factor that changes but matches no size still says so
    ("2 * (x - y) / len(x) * (1 + x[0]**2)", "a factor that changes from point to point"),
])
def test_other_factors_keep_their_message(tmp_path, mse, phrase):
    _, exercises = _grade(tmp_path, mse, "k / np.sqrt(len(k))")
    message = exercises["mse"]["message"]
    assert phrase in message and "the size N" not in message, message
    assert exercises["scaled"]["status"] == "pass"


def test_the_layers_svm_loss_without_its_mean(tmp_path):
    text = (SOLUTIONS / "layers.py").read_text()
    start = text.index("def svm_loss(")
    body = text[start:text.index("\ndef ", start + 1)]
    assert body.count("/ n") == 2, body
    path = tmp_path / "layers.py"
    path.write_text(text.replace(body, body.replace(" / n", "")))
    result = CliRunner().invoke(main, ["grade", "layers", "-s", str(path), "-f", "json"])
    assert result.exit_code == 1, result.output
    exercises = {e["id"]: e for e in json.loads(result.output)["exercises"]}
    message = exercises["svm-loss"]["message"]
    assert "off by a factor N (= the size N, the length of x's axis 0" in message, message
    assert "a division by N is missing" in message
    assert [i for i, e in exercises.items() if e["status"] != "pass"] == ["svm-loss"]


def _layers_message(tmp_path, exercise: str, old: str, new: str) -> tuple[dict, str]:
    text = (SOLUTIONS / "layers.py").read_text()
    assert text.count(old) == 1, old
    path = tmp_path / "layers.py"
    path.write_text(text.replace(old, new))
    result = CliRunner().invoke(main, ["grade", "layers", "-s", str(path), "-f", "json"])
    assert result.exit_code == 1, result.output
    exercises = {e["id"]: e for e in json.loads(result.output)["exercises"]}
    assert [i for i, e in exercises.items() if e["status"] != "pass"] == [exercise]
    return exercises, exercises[exercise]["message"]


@pytest.mark.parametrize("new, phrase", [
    ("return dout * mask\n", "off by a factor p (= the parameter p = 0.6): a division by p is "
                             "missing"),
    ("return dout * mask / p / p\n", "off by a factor 1/p (= the parameter p = 0.6): an extra "
                                     "division by p"),
])
def test_a_factor_that_is_a_parameter_is_named(tmp_path, new, phrase):
    # the dropout's keep probability p = 0.6: "a constant factor 3/5" said less
    _, message = _layers_message(tmp_path, "dropout", "return dout * mask / p\n", new)
    assert phrase in message, message


def test_a_constant_factor_that_is_no_parameter_keeps_its_message(tmp_path):
    _, message = _layers_message(tmp_path, "dropout", "return dout * mask / p\n",
                                 "return 2 * dout * mask / p\n")
    assert "off by a constant factor 2" in message and "parameter" not in message, message
