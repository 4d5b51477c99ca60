"""``gradcheck init`` states the values of a spec's ``constants`` in the template, in the
docstring of each exercise whose function uses them: without them the student cannot write
the derivative."""

from __future__ import annotations

import ast
import textwrap

from click.testing import CliRunner

from gradcheck.cli import main
from gradcheck.spec import load_sheet
from gradcheck.spec.template import render_template

SPEC = """\
sheet: consts
title: Constants
seed: 1
exercises:
  - id: 1a
    title: a weighted sum
    points: 2
    student: d_1a
    function: "sum(w * x) + c * sum(x**2)"
    constants: {w: [1.0, -2.0, 0.5], c: 3.0, unused: 7.0}
    inputs: {x: {shape: [3]}}
    wrt: x
  - id: 1b
    title: no constants
    points: 2
    student: d_1b
    function: "sum(x**2) * eps"
    params: {eps: 0.5}
    inputs: {x: {shape: [3]}}
    wrt: x
  - id: 1c
    title: a scaled product
    kind: node
    points: 2
    student: Scaled
    function: "k * a * b"
    constants: {k: [[1.0, 2.0], [3.0, 4.0]]}
    inputs: {a: {shape: [2, 2]}, b: {shape: [2, 2]}}
  - id: 1d
    title: a large matrix
    points: 2
    student: d_1d
    function: "sum(M @ x)"
    constants: {M: CONSTANT}
    inputs: {x: {shape: [10]}}
    wrt: x
"""
LARGE = "[" + ", ".join("[" + ", ".join(["0.5"] * 10) + "]" for _ in range(10)) + "]"


def docstrings(text: str) -> dict[str, str]:
    tree = ast.parse(text)
    return {node.name: ast.get_docstring(node) or "" for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.ClassDef)}


def write(tmp_path):
    path = tmp_path / "consts.yaml"
    path.write_text(SPEC.replace("CONSTANT", LARGE))
    return path


def test_the_template_states_the_constants_an_exercise_uses(tmp_path):
    docs = docstrings(render_template(load_sheet(str(write(tmp_path))), tmp_path))
    assert "Constants:\n    w = [1.0, -2.0, 0.5]\n    c = 3.0" in docs["d_1a"], docs["d_1a"]
    assert "unused" not in docs["d_1a"]          # declared, but the function does not use it
    assert "Constants" not in docs["d_1b"]       # eps is a parameter: an argument, not this
    assert "k = [[1.0, 2.0], [3.0, 4.0]]" in docs["Scaled"], docs["Scaled"]


def test_a_large_constant_is_named_by_shape_and_where_it_is(tmp_path):
    docs = docstrings(render_template(load_sheet(str(write(tmp_path))), tmp_path))
    assert "M = an array of shape (10, 10)" in docs["d_1d"], docs["d_1d"]
    assert "consts.yaml" in docs["d_1d"]
    assert "0.5, 0.5, 0.5, 0.5" not in docs["d_1d"]


def test_gradcheck_init_writes_them(tmp_path):
    spec = write(tmp_path)
    folder = tmp_path / "student"
    result = CliRunner().invoke(main, ["init", str(spec), "-d", str(folder)])
    assert result.exit_code == 0, result.output
    text = (folder / "consts.py").read_text()
    compile(text, "consts.py", "exec")
    assert textwrap.dedent("""\
        Constants:
            w = [1.0, -2.0, 0.5]
            c = 3.0""") in docstrings(text)["d_1a"]
