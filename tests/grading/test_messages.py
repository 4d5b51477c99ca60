"""Messages for the mistakes a new student makes: a misnamed function, a missing return."""

import json
from pathlib import Path

from click.testing import CliRunner

from gradcheck.cli import main

SOLUTION = Path(__file__).resolve().parents[2] / "solutions" / "sheet01.py"


def _exercises(tmp_path, text: str) -> dict:
    path = tmp_path / "sheet01.py"
    path.write_text(text)
    result = CliRunner().invoke(main, ["grade", "sheet01", "-s", str(path), "-f", "json"])
    return {e["id"]: e for e in json.loads(result.output)["exercises"]}


def test_a_misnamed_function_gets_a_did_you_mean(tmp_path):
    text = SOLUTION.read_text().replace("def d_1a(", "def d1a(")
    message = _exercises(tmp_path, text)["1a"]["message"]
    assert "defines no function d_1a (did you mean d1a?)" in message


def test_none_from_grade_asks_about_a_missing_return(tmp_path):
    text = SOLUTION.read_text() + "\n\ndef d_1a(x):\n    y = 2 * x\n"
    message = _exercises(tmp_path, text)["1a"]["message"]
    assert "returned None" in message and "is a return statement missing?" in message


def test_a_helper_module_or_data_file_is_explained(tmp_path):
    (tmp_path / "helpers.py").write_text("def two():\n    return 2\n")
    (tmp_path / "weights.npy").write_bytes(b"")
    for line, name in (("import helpers", "helpers"), ("open('weights.npy')", "weights.npy")):
        path = tmp_path / "sheet01.py"
        path.write_text(f"{line}\n" + SOLUTION.read_text())
        result = CliRunner().invoke(main, ["grade", "sheet01", "-s", str(path), "-f", "json"])
        error = json.loads(result.output)["load_error"]
        assert name in error and "only the submission file is graded" in error, error
