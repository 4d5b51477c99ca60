"""``gradcheck validate`` names an exercise once per finding: in the row or line that
belongs to it, never again inside the message ("exercise 1a: ... of exercise 1a")."""

from __future__ import annotations

import json
import re

from tests.grading.test_validate import run, write_spec

EXERCISES = """\
- id: 1a
  title: square root
  points: 2
  function: "sqrt(x)"
  inputs: {x: {shape: [], domain: [0.1, 1]}}
  student: d_1a
  wrt: x
  points_at: [{x: -0.5}, {random: 3}]
- id: 1b
  title: logarithm
  points: 2
  function: "log(x)"
  inputs: {x: {shape: [], domain: [-1, 0]}}
  student: d_1b
  wrt: x
- id: 1c
  title: square
  points: 2
  function: "x**2"
  inputs: {x: {shape: [3], domain: [-1, 1]}}
  student: d_1c
  wrt: x
  points_at: [{x: [1.0, 2.0]}, {random: 3}]
"""
SOLUTION = """\
import numpy as np
def d_1a(x): return 0.5 / np.sqrt(x)
def d_1b(x): return 1 / x
def d_1c(x): return 2 * x
"""


def test_a_finding_names_its_exercise_once(tmp_path):
    spec = write_spec(tmp_path, EXERCISES, SOLUTION)
    as_json = run(str(spec), "--solution", str(tmp_path / "solutions" / "demo.py"),
                  "--format", "json")
    assert as_json.exit_code == 1, as_json.output
    report = json.loads(as_json.output)
    findings = {e["id"]: e["findings"] for e in report["exercises"]}
    assert all(findings[i] for i in ("1a", "1b", "1c")), findings
    for exercise_id, found in findings.items():
        for finding in found:
            message = finding["message"].split("demo.yaml")[-1]
            assert not re.search(rf"\b(exercise )?{exercise_id}\b", message), message
    # the fixed point, the domain without a usable point and the wrong shape still say what
    assert "fixed test point 1 cannot be graded" in findings["1a"][0]["message"]
    assert "no usable random test point" in findings["1b"][0]["message"]
    assert "has shape (2,)" in findings["1c"][0]["message"]

    table = run(str(spec), "--solution", str(tmp_path / "solutions" / "demo.py"))
    text = " ".join(table.output.split())
    for exercise_id in ("1a", "1b", "1c"):
        line = text.split(f"error: exercise {exercise_id}: ", 1)[1].split(" error: ")[0]
        assert not re.search(rf"\b{exercise_id}\b", line), line
