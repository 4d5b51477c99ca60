"""The batch grades the file the student worked on and says so in the gradebook; a spec whose
module matches no file stops with a clear error instead of a gradebook of zeros."""

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from gradcheck.cli import main
from gradcheck.spec import load_sheet
from gradcheck.spec.template import render_template

SOLUTION = Path(__file__).resolve().parents[2] / "solutions" / "sheet01.py"


def _notebook(code: str) -> str:
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": code.splitlines(keepends=True)}]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_the_notebook_beside_the_template_is_graded_and_the_note_says_so(tmp_path):
    folder = tmp_path / "subs" / "ann"
    folder.mkdir(parents=True)
    (folder / "sheet01.py").write_text(render_template(load_sheet("sheet01")))
    (folder / "sheet01.ipynb").write_text(_notebook(SOLUTION.read_text()))
    out = tmp_path / "grades.csv"
    result = CliRunner().invoke(main, ["batch", "sheet01", str(tmp_path / "subs"), "-o",
                                       str(out), "-j", "1"])
    assert result.exit_code == 0, result.output
    row = next(csv.DictReader(out.open()))
    assert row["automatic (100)"] == "100"
    assert "graded ann/sheet01.ipynb" in row["note"]
    assert "ann/sheet01.py (the unchanged template)" in row["note"]


def test_a_module_name_that_matches_no_file_is_an_error(tmp_path):
    for student in ("ann", "bo"):
        (tmp_path / student).mkdir()
        (tmp_path / student / "homework1.py").write_text("x = 1\n")
    result = CliRunner().invoke(main, ["batch", "sheet01", str(tmp_path), "-o",
                                       str(tmp_path / "g.csv")])
    assert result.exit_code == 2, result.output
    assert "0 of 2 students submitted sheet01.py or sheet01.ipynb" in result.output
    assert "homework1.py" in result.output
    assert not (tmp_path / "g.csv").exists()
