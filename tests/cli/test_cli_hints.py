"""Every command a message or a template tells the user to run works as printed."""

import json
import shlex
from pathlib import Path

from click.testing import CliRunner

from gradcheck.cli import main
from gradcheck.spec import load_sheet
from gradcheck.spec.template import render_template

SPEC = Path(__file__).resolve().parents[2] / "exercises" / "d2l-calculus.yaml"


def _commands(text: str) -> list[list[str]]:
    """The `gradcheck ...` commands quoted in a text, as argument lists."""
    found = []
    for part in text.split("`")[1::2] + [line.strip() for line in text.splitlines()]:
        if part.startswith("gradcheck "):
            found.append(shlex.split(part)[1:])
    return found


def test_init_of_a_spec_file_prints_and_writes_a_command_that_works(tmp_path, monkeypatch):
    custom = tmp_path / "course" / "my sheet.yaml"
    custom.parent.mkdir()
    custom.write_text(SPEC.read_text().replace("sheet: d2l-calculus", "sheet: mysheet"))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["init", "course/my sheet.yaml", "-d", "work"])
    assert result.exit_code == 0, result.output
    module = load_sheet(custom).module
    template = (tmp_path / "work" / f"{module}.py").read_text()
    printed, written = _commands(result.output), _commands(template)
    assert printed and written
    # the printed command works from here; the template's from the template's folder
    graded = runner.invoke(main, printed[0] + ["-f", "json"])
    assert graded.exit_code == 1 and json.loads(graded.output)["score"] == 0, graded.output
    monkeypatch.chdir(tmp_path / "work")
    graded = runner.invoke(main, written[0] + ["-f", "json"])
    assert graded.exit_code == 1 and json.loads(graded.output)["score"] == 0, graded.output


def test_the_template_of_a_bundled_sheet_names_the_sheet():
    assert "    gradcheck grade sheet01\n" in render_template(load_sheet("sheet01"))


def test_the_no_submission_hint_names_a_command_that_works(tmp_path, monkeypatch):
    custom = tmp_path / "spec.yaml"
    custom.write_text(SPEC.read_text().replace("sheet: d2l-calculus", "sheet: mysheet"))
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")
    runner = CliRunner()
    result = runner.invoke(main, ["grade", "../spec.yaml"])
    assert result.exit_code == 2 and "no submission found" in result.output
    hinted = [c for c in _commands(result.output) if c[0] == "init"]
    assert hinted, result.output
    assert runner.invoke(main, hinted[0]).exit_code == 0
    assert any(p.suffix == ".py" for p in Path(".").iterdir())
