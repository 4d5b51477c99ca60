"""A submission's encoding as Python reads it: a PEP 263 coding line is honoured; a file
Python itself rejects is named by its line, not a byte offset."""

import json
from pathlib import Path

from click.testing import CliRunner

from gradcheck.cli import main

SOLUTION = Path(__file__).resolve().parents[2] / "solutions" / "sheet01.py"


def _grade(path: Path) -> dict:
    result = CliRunner().invoke(main, ["grade", "sheet01", "-s", str(path), "-f", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def test_a_latin1_file_with_a_coding_line_is_graded(tmp_path):
    text = "# -*- coding: latin-1 -*-\n# Lösung von Jürgen\n" + SOLUTION.read_text()
    path = tmp_path / "sheet01.py"
    path.write_bytes(text.encode("latin-1", errors="replace"))
    report = _grade(path)
    assert report["load_error"] is None and report["score"] == 100


def test_a_file_python_rejects_is_named_by_its_line(tmp_path):
    text = "import numpy as np\n\n# Lösung\n" + SOLUTION.read_text()
    path = tmp_path / "sheet01.py"
    path.write_bytes(text.encode("latin-1", errors="replace"))
    report = _grade(path)
    assert report["score"] == 0
    assert "line 3" in report["load_error"] and "position" not in report["load_error"]
    assert "coding" in report["load_error"]     # says how to fix it


def test_an_unknown_declared_encoding_is_named(tmp_path):
    path = tmp_path / "sheet01.py"
    path.write_bytes(b"# coding: klingon\n" + SOLUTION.read_bytes())
    report = _grade(path)
    assert report["score"] == 0 and "klingon" in report["load_error"]
    assert "line 1" in report["load_error"]
