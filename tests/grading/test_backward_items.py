"""A backward's tuple is read item by item: a wrong item is named by its input, a wrong count
says which gradients were expected (never "a ragged tuple")."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from gradcheck.cli import main

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"


def _messages(tmp_path, sheet: str, old: str, new: str) -> dict[str, str]:
    text = (SOLUTIONS / f"{sheet}.py").read_text()
    assert old in text
    path = tmp_path / f"{sheet}.py"
    path.write_text(text.replace(old, new))
    result = CliRunner().invoke(main, ["grade", sheet, "-s", str(path), "-f", "json"])
    assert result.exit_code == 1, result.output
    return {e["id"]: e["message"] for e in json.loads(result.output)["exercises"]
            if e["status"] != "pass"}


def test_a_scalar_zero_for_an_array_input_names_the_input(tmp_path):
    messages = _messages(tmp_path, "sheet01", "return grad_output * self.b, grad_output * self.a",
                         "return grad_output * self.b, 0")
    message = messages["3a-mul"]
    assert re.search(r"backward: gradient of b is a scalar 0, expected shape \(\d+(, \d+)?\)",
                     message), message
    assert "ragged" not in message and "gradient of a" not in message


def test_two_gradients_for_one_input_are_counted_not_ragged(tmp_path):
    messages = _messages(tmp_path, "sheet01", "return (2 * self.a * grad_output,)",
                         "return 2 * self.a * grad_output, 0")
    message = messages["3a-square"]
    assert "ragged" not in message, message
    assert "Square.backward returned 2 gradients; expected 1: the gradient of a" in message


def test_a_scalar_and_a_zero_for_one_input_are_not_read_as_one_vector(tmp_path):
    # (grad_output, 0) for Sum's one input: two gradients, not a vector of length 2
    messages = _messages(tmp_path, "sheet01", "return (grad_output * np.ones(self.shape),)",
                         "return grad_output, 0")
    message = messages["3a-sum"]
    assert "Sum.backward returned 2 gradients; expected 1: the gradient of a" in message
    assert "wrong shape (2,)" not in message, message


def test_a_wrong_item_of_a_correct_tuple_is_named(tmp_path):
    messages = _messages(tmp_path, "sheet01", "return grad_output * self.b, grad_output * self.a",
                         "return grad_output * self.b, None")
    message = messages["3a-mul"]
    assert "the gradient of b" in message and "None" in message, message
    assert "result 2" not in message


@pytest.mark.parametrize("new, phrase", [
    ("return dx, dw, 0", r"backward: db is a scalar 0, expected shape \(\d,\)"),
    ("return dx, dw", r"affine_backward returned 2 gradients; expected 3: \(dx, dw, db\)"),
    ("return dx, dw, db, 0", r"affine_backward returned 4 gradients; expected 3: \(dx, dw, db\)"),
])
def test_a_layer_backward_names_its_gradients(tmp_path, new, phrase):
    message = _messages(tmp_path, "layers", "return dx, dw, db", new)["affine"]
    assert re.search(phrase, message), message
    assert "ragged" not in message


def test_a_correct_backward_still_passes(tmp_path):
    # the same file with no change scores full marks (both ways: the tests above fail it)
    path = tmp_path / "sheet01.py"
    path.write_text((SOLUTIONS / "sheet01.py").read_text())
    result = CliRunner().invoke(main, ["grade", "sheet01", "-s", str(path), "-f", "json"])
    assert result.exit_code == 0, result.output


def test_a_notebook_check_reads_a_backward_the_same_way():
    from gradcheck.grading.grader import grade_exercise, prepare
    from gradcheck.grading.inprocess import InProcess
    from gradcheck.spec import load_sheet

    namespace: dict = {}
    exec((SOLUTIONS / "sheet01.py").read_text().replace(
        "return (2 * self.a * grad_output,)", "return 2 * self.a * grad_output, 0"), namespace)
    prepared = prepare(load_sheet("sheet01"))
    ask = InProcess(namespace)
    square = grade_exercise(prepared, prepared.sheet.exercise("3a-square"), ask, ask.defs,
                            filename="this notebook")
    assert square.score == 0
    assert "Square.backward returned 2 gradients; expected 1: the gradient of a" in \
        square.message
    mul = grade_exercise(prepared, prepared.sheet.exercise("3a-mul"), ask, ask.defs,
                         filename="this notebook")
    assert mul.status == "pass", mul.message


def test_a_list_of_an_array_and_a_zero_names_its_items(tmp_path):
    # [g, 0] for Square's one input: a list numpy cannot make one array of; say what it holds
    messages = _messages(tmp_path, "sheet01", "return (2 * self.a * grad_output,)",
                         "return [2 * self.a * grad_output, 0]")
    message = messages["3a-square"]
    assert re.search(r"ragged list of 2 items: an array of shape \(\d+(, \d+)?\) and a scalar",
                     message), message


def test_a_node_backward_with_its_gradients_swapped_says_so(tmp_path):
    # Mul.backward handing each input the other's gradient: the right values, wrong places
    messages = _messages(tmp_path, "sheet01", "return grad_output * self.b, grad_output * self.a",
                         "return grad_output * self.a, grad_output * self.b")
    message = messages["3a-mul"]
    assert ("gradients in the wrong order: in the place of the gradient of a it returned the "
            "gradient of b; in the place of the gradient of b it returned the gradient of a — "
            "return one gradient per input of forward, in its order (a, b)") in message, message


def test_a_node_gradient_that_is_merely_wrong_is_not_called_swapped(tmp_path):
    messages = _messages(tmp_path, "sheet01", "return grad_output * self.b, grad_output * self.a",
                         "return grad_output * self.b, 2 * grad_output * self.a")
    message = messages["3a-mul"]
    assert "wrong order" not in message and "gradient of b" in message, message


def test_swapped_gradients_are_not_weighed_as_difference_quotients():
    # a gradient in another's place is diagnosed by its place alone: no quotient model of
    # it is built (each costs evaluations of f); a merely wrong gradient still gets one
    from gradcheck.grading.judge import judge
    from gradcheck.spec import load_sheet
    from gradcheck.spec.sampling import sample_points

    exercise = load_sheet("sheet01").exercise("3a-mul")
    point = sample_points(exercise, seed=3)[0]
    out, da, db = point.expected
    swapped: dict = {}
    result = judge(exercise, point, (out, (db, da)), quotients=swapped)
    assert [c.code for c in result.checks[1:]] == ["order", "order"], result.message
    assert not [key for key in swapped if key[0] == id(point)]
    wrong: dict = {}
    result = judge(exercise, point, (out, (da, db + 0.3 * np.abs(db) + 0.1)), quotients=wrong)
    assert result.checks[2].code != "order" and (id(point), 2) in wrong
