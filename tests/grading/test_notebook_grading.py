"""A notebook graded as its student ran it: cell magics that only time or capture run their
body, IPython-only lines are dropped (and said so), ``display`` works."""

import json
from pathlib import Path

from click.testing import CliRunner

from gradcheck.cli import main

SOLUTION = Path(__file__).resolve().parents[2] / "solutions" / "sheet01.py"


def _notebook(path: Path, cells: list[str]) -> Path:
    path.write_text(json.dumps({"cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": text.splitlines(keepends=True)} for text in cells],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_cell_magics_magics_and_display_cost_no_points(tmp_path):
    parts = SOLUTION.read_text().split("\n\n\n")
    half = len(parts) // 2
    cells = ["%%time\n" + "\n\n\n".join(parts[:half]),
             "%%capture\nimport numpy as np\nx = np.ones(3)\ndisplay(x)\n"
             + "\n\n\n".join(parts[half:]) + "\n!ls\nfiles = !ls\nnp.ones?\n",
             "%%bash\necho hi\n"]
    path = _notebook(tmp_path / "sheet01.ipynb", cells)
    result = CliRunner().invoke(main, ["grade", "sheet01", "-s", str(path), "-f", "json"])
    report = json.loads(result.output)
    assert (result.exit_code, report["score"]) == (0, 100), report["warnings"]
    warnings = report["warnings"]
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith("cell 2: lines ") and "!ls; files = !ls; np.ones?" in warnings[0]
    assert warnings[1] == "cell 3: lines 1, 2 dropped (IPython syntax, not run): %%bash; echo hi"


def test_grade_picks_the_notebook_beside_the_untouched_template_and_says_so(tmp_path,
                                                                         monkeypatch):
    from gradcheck.spec import load_sheet
    from gradcheck.spec.template import render_template

    (tmp_path / "sheet01.py").write_text(render_template(load_sheet("sheet01")))
    _notebook(tmp_path / "sheet01.ipynb", [SOLUTION.read_text()])
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["grade", "sheet01", "-f", "json"])
    report = json.loads(result.output)
    assert report["score"] == 100 and report["submission"].endswith("sheet01.ipynb")
    assert ("graded sheet01.ipynb; also found sheet01.py (the unchanged template)"
            in report["warnings"])


def test_lines_of_a_notebook_are_lines_of_the_raw_ipynb_file(tmp_path):
    """Annotations on GitHub point at lines of the file as stored: the JSON line holding the
    def, also for a later cell that redefines the function (the one graded)."""
    wrong = "def d_1b(x, mu, sigma):\n    return 0.0 * x\n"
    path = tmp_path / "sheet01.ipynb"
    path.write_text(json.dumps({"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Sheet 1\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": SOLUTION.read_text().splitlines(keepends=True)},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": wrong.splitlines(keepends=True)}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1))
    report = json.loads(CliRunner().invoke(
        main, ["grade", "sheet01", "-s", str(path), "-f", "json"]).output)
    lines = path.read_text().splitlines()
    found = {e["id"]: e["line_no"] for e in report["exercises"]}
    assert lines[found["1b"] - 1].strip() == json.dumps("def d_1b(x, mu, sigma):\n") + ","
    assert found["1b"] > found["1a"]                        # the redefinition, further down
    assert "def d_1a(" in lines[found["1a"] - 1]
    assert "class " in lines[found["3a-add"] - 1]


def test_a_single_line_notebook_points_at_its_one_line(tmp_path):
    from gradcheck.grading.ipynb import ipynb_line

    path = _notebook(tmp_path / "sheet01.ipynb", [SOLUTION.read_text()])   # no indent
    assert path.read_text().count("\n") == 0 and ipynb_line(path, "d_1a") == 1
    assert ipynb_line(path, "no_such_function") is None
    assert ipynb_line(tmp_path / "missing.ipynb", "d_1a") is None
