"""``uses``: an exercise names the earlier ones it builds on (sheet01's 3b on the student's own
nodes); a wrong list is a spec error with file, line and key, and grading says which used
exercises fail when both lose points."""

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcheck.cli import main
from gradcheck.errors import SpecError
from gradcheck.spec import load_sheet, parse_sheet

ROOT = Path(__file__).resolve().parents[2]

SPEC = """\
sheet: chain
title: Builds on
exercises:
  - id: inner
    title: inner
    points: 1
    student: d_inner
    function: "x**2"
    inputs: {{x: {{shape: []}}}}
    wrt: x
  - id: notes
    title: by hand
    points: 1
    kind: manual
  - id: outer
    title: outer
    points: 1
    student: d_outer
    function: "sin(x**2)"
    inputs: {{x: {{shape: []}}}}
    wrt: x
    uses: {uses}
"""


def _sheet(uses: str):
    return parse_sheet(textwrap.dedent(SPEC.format(uses=uses)), file="chain.yaml")


def test_uses_names_earlier_exercises():
    sheet = _sheet("[inner]")
    assert sheet.exercise("outer").uses == ("inner",)
    assert sheet.exercise("inner").uses == ()
    assert load_sheet("sheet01").exercise("3b-B").uses == (
        "3a-add", "3a-sub", "3a-mul", "3a-square", "3a-sum")


@pytest.mark.parametrize("uses, words", [
    ("[nowhere]", "'nowhere' is not an automatic exercise earlier in the sheet (those are: "
                  "inner)"),
    ("[outer]", "'outer' is not an automatic exercise earlier"),
    ("[notes]", "'notes' is not an automatic exercise earlier"),
    ("inner", "must be a list of names"),
])
def test_a_wrong_uses_is_a_spec_error_with_its_line(uses, words):
    with pytest.raises(SpecError) as info:
        _sheet(uses)
    text = str(info.value)
    assert text.startswith("chain.yaml:22: uses:") and words in text, text


def _grade(tmp_path, old: str, new: str) -> dict[str, dict]:
    text = (ROOT / "solutions" / "sheet01.py").read_text()
    assert text.count(old) == 1, old
    path = tmp_path / "sheet01.py"
    path.write_text(text.replace(old, new))
    result = CliRunner().invoke(main, ["grade", "sheet01", "-s", str(path), "-f", "json"])
    assert result.exit_code == 1, result.output
    return {e["id"]: e for e in json.loads(result.output)["exercises"]
            if e["status"] != "pass"}


def test_an_exercise_failing_with_one_it_uses_names_it(tmp_path):
    # Mul.backward swapped: 3a-mul fails, and 3b-A and 3b-B, built on it, say where to look
    failing = _grade(tmp_path, "return grad_output * self.b, grad_output * self.a",
                     "return grad_output * self.a, grad_output * self.b")
    assert set(failing) == {"3a-mul", "3b-A", "3b-B"}
    for exercise in ("3b-A", "3b-B"):
        assert failing[exercise]["message"].endswith(
            " — it builds on 3a-mul (fail): fix that first"), failing[exercise]["message"]
        assert failing[exercise]["score"] == 0
    assert "builds on" not in failing["3a-mul"]["message"]


def test_an_exercise_failing_on_its_own_says_nothing_of_what_it_uses(tmp_path):
    # 3b-B wrong by itself (its nodes all pass): no hint that points elsewhere
    failing = _grade(tmp_path, "return float(np.sum(g_w0)), float(np.sum(g_w1))",
                     "return float(np.sum(g_w1)), float(np.sum(g_w0))")
    assert set(failing) == {"3b-B"}, failing
    assert "builds on" not in failing["3b-B"]["message"]
