import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

from gradcheck.errors import SpecError
from gradcheck.spec import bundled_sheets, find_spec, load_sheet, parse_sheet

ROOT = Path(__file__).resolve().parents[2]

MINIMAL = """\
sheet: demo
title: Demo
exercises:
  - id: a
    title: derivative of sin
    points: 2
    student: d_a
    function: "sin(x)"
    inputs:
      x: {shape: [], domain: [-1, 1]}
    wrt: x
"""


def _error(text: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        parse_sheet(textwrap.dedent(text), file="demo.yaml")
    return info.value


def test_minimal_spec_loads_with_defaults():
    sheet = parse_sheet(MINIMAL, file="demo.yaml")
    assert sheet.module == "demo" and sheet.seed == 0
    ex = sheet.exercises[0]
    assert ex.kind == "derivative" and ex.wrt == ("x",) and not ex.multi
    assert ex.points_at == ({"random": 5},)
    assert ex.evaluate({"x": np.array(0.5)}) == pytest.approx(np.sin(0.5))
    assert sheet.max_score == 2 and sheet.manual_points == 0


def test_bundled_sheet01_matches_the_exercise_sheet():
    sheet = load_sheet("sheet01")
    assert "sheet01" in bundled_sheets()
    ids = [e.id for e in sheet.exercises]
    assert ids[:11] == ["1a", "1b", "1c", "1d", "1e", "1f1", "1f2", "1f3", "1g", "1h", "2a-A"]
    ex1 = sum(e.points for e in sheet.exercises if e.id.startswith("1"))
    ex2 = sum(e.points for e in sheet.exercises if e.id.startswith("2"))
    nodes = [e for e in sheet.exercises if e.kind == "node"]
    assert (ex1, ex2) == (24, 36)
    assert sum(e.points for e in nodes) == 30 and len(nodes) == 8
    assert {e.student for e in nodes} == {"Add", "Sub", "Mul", "Div", "Square", "Sqrt",
                                          "Log", "Sum"}
    assert sum(e.points for e in sheet.exercises if e.id.startswith("3b")) == 10
    assert sheet.max_score == 100 and sheet.manual_points == 0
    assert {"torch", "jax", "autograd", "sympy", "gradcheck"} <= set(sheet.forbid)
    assert sheet.exercise("3b-A").wrt == ("a", "b", "c") and sheet.exercise("3b-A").multi
    assert len(sheet.sha256) == 64


def test_repository_exercises_folder_is_the_bundled_one():
    # a link, not a copy that could drift from what the package ships
    assert (ROOT / "exercises").is_symlink()
    assert (ROOT / "exercises").resolve() == find_spec("sheet01").resolve().parent


def test_the_documented_example_is_a_valid_spec():
    doc = (ROOT / "docs" / "spec-format.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", doc, re.S).group(1)
    sheet = parse_sheet(example, file="docs/spec-format.md")
    assert [e.kind for e in sheet.exercises] == ["derivative"] * 3 + ["node", "manual", "layer",
                                                "loss"]
    assert sheet.exercise("3").wrt == ("A", "b")


@pytest.mark.parametrize("text, line, key, phrase", [
    (MINIMAL.replace("    points: 2", "    poinst: 2"), 6, "poinst", "did you mean 'points'"),
    (MINIMAL.replace("points: 2", "points: 0"), 6, "points", "must be positive"),
    (MINIMAL.replace("points: 2", "points: two"), 6, "points", "must be a number"),
    (MINIMAL.replace("    student: d_a\n", ""), 4, "student", "missing"),
    (MINIMAL.replace("student: d_a", "student: 3d"), 7, "student", "not a valid name"),
    (MINIMAL.replace('"sin(x)"', '"sine(x)"'), 8, "function", "unknown function 'sine'"),
    (MINIMAL.replace('"sin(x)"', '"sin(x"'), 8, "function", "sin(x"),
    (MINIMAL.replace('"sin(x)"', '"sin(z)"'), 8, "function", "'z'"),
    (MINIMAL.replace("domain: [-1, 1]", "domain: [1, 1]"), 10, "domain", "empty domain"),
    (MINIMAL.replace("domain: [-1, 1]", "domain: [1, -1]"), 10, "domain", "empty domain"),
    (MINIMAL.replace("wrt: x", "wrt: y"), 11, "wrt", "not an input"),
    (MINIMAL.replace("wrt: x", "wrt: {x: 1}"), 11, "wrt", "not a mapping"),
    (MINIMAL.replace("wrt: x", "wrt: [{x: 1}]"), 11, "wrt", "not a mapping"),
    (MINIMAL.replace("domain: [-1, 1]", "domain: 3"), 10, "domain", "a domain is"),
    (MINIMAL + "  - just text\n", 12, "exercises", "each exercise is a mapping"),
    (MINIMAL.replace("domain: [-1, 1]", "domain: {a: 1}"), 10, "domain", "a domain is"),
    (MINIMAL.replace("shape: []", "shape: [n]"), 10, "shape", "size"),
    (MINIMAL.replace("title: Demo\n", ""), 1, "title", "missing"),
    (MINIMAL + "  - {id: a, title: again, points: 1, kind: manual}\n", 12, "id", "duplicate"),
    (MINIMAL + "    kind: nodes\n", 12, "kind", "unknown kind"),
    (MINIMAL + "    where: ['x >']\n", 12, "where", "x >"),
    (MINIMAL + "    where: ['x + 1']\n", 12, "where", "not a condition"),
    (MINIMAL + "    points_at: [{random: 0}]\n", 12, "points_at", "random"),
    (MINIMAL + "    points_at: [{y: 1.0}]\n", 12, "points_at", "not an input"),
    (MINIMAL + "    tolerance: {rtol: -1}\n", 12, "rtol", "positive"),
    (MINIMAL.replace("sheet: demo", "sheet: demo\nseed: -3"), 2, "seed", "non-negative"),
])
def test_errors_name_file_line_and_key(text, line, key, phrase):
    error = _error(text)
    assert error.file == "demo.yaml"
    assert (error.line, error.key) == (line, key), str(error)
    assert phrase in str(error)
    assert str(error).startswith(f"demo.yaml:{line}: {key}: ")


def test_yaml_syntax_error_names_the_line():
    error = _error(MINIMAL.replace("inputs:\n", "inputs: [\n"))
    assert error.line is not None and "YAML" in str(error)


def test_duplicate_keys_are_errors():
    error = _error(MINIMAL.replace("    wrt: x\n", "    wrt: x\n    wrt: x\n"))
    assert error.key == "wrt" and "duplicate" in str(error)


def test_unknown_sheet_name_lists_bundled_sheets():
    with pytest.raises(SpecError) as info:
        find_spec("sheet1")
    assert "sheet01" in str(info.value)


def test_numbers_written_like_1e_6_are_numbers():
    sheet = parse_sheet(MINIMAL + "    tolerance: {rtol: 1e-6}\n", file="demo.yaml")
    assert sheet.exercises[0].tolerance.rtol == 1e-6


def test_a_folder_named_like_the_sheet_does_not_hide_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sheet01").mkdir()  # e.g. after `gradcheck init sheet01 -d sheet01`
    assert load_sheet("sheet01").name == "sheet01"
    with pytest.raises(SpecError, match="is a folder"):
        find_spec("sheet01/")
    with pytest.raises(SpecError, match="no such spec file"):
        find_spec("nowhere/sheet.yaml")
