"""Every JSON that gradcheck writes is strict JSON: a NaN or an infinity, wherever it is (a
student's answer, an error, an input, a score), is the string ``"nan"``, ``"inf"`` or
``"-inf"``, never the bare ``NaN``/``Infinity`` that Python's json module accepts and
JavaScript's ``JSON.parse`` rejects. Checked for ``--format json``, ``--format
gradescope``, the Classroom result of ``--github``, the batch journal and ``validate
--format json``; with node's ``JSON.parse`` where node is installed."""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcheck.batch.journal import Journal, journal_path
from gradcheck.cli import main
from gradcheck.render.github import encoded_result
from gradcheck.render.gradescope import to_gradescope
from gradcheck.render.json import to_json
from gradcheck.results import SheetResult
from gradcheck.results.jsondata import strict_json
from tests.sample_results import _sheet, exercise, ok, point

ROOT = Path(__file__).resolve().parents[2]
NONFINITE = '''

def d_1a(x):
    return float("nan")


def d_1c(x):
    return float("inf")


def jac_1e(x):
    return np.full((len(x), len(x)), -np.inf)
'''


def strict(text: str):
    """``json.loads`` that refuses NaN, Infinity and -Infinity."""
    def refuse(token):
        raise ValueError(f"not strict JSON: {token}")
    return json.loads(text, parse_constant=refuse)


def node_parses(text: str) -> None:
    if shutil.which("node") is None:
        return
    script = "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>JSON.parse(s))"
    run = subprocess.run(["node", "-e", script], input=text, text=True, capture_output=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr


@pytest.fixture(scope="module")
def submission(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("nonfinite")
    path = folder / "alice" / "sheet01.py"
    path.parent.mkdir()
    path.write_text((ROOT / "solutions" / "sheet01.py").read_text() + NONFINITE)
    return path


def received(report: dict) -> set:
    return {c["received"] for e in report["exercises"] for p in e["checks"]
            for c in p["checks"] if not c["passed"]}


def test_format_json_and_gradescope_of_nonfinite_answers(submission):
    runner = CliRunner()
    for fmt in ("json", "gradescope"):
        result = runner.invoke(main, ["grade", "sheet01", "-s", str(submission), "-f", fmt])
        assert result.exit_code == 1, result.output
        data = strict(result.output)
        node_parses(result.output)
        if fmt == "json":
            assert {"nan", "inf", "-inf"} <= received(data)


def test_the_classroom_result_of_nonfinite_answers(submission, tmp_path):
    output = tmp_path / "output"
    output.touch()
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output)}
    result = CliRunner().invoke(main, ["grade", "sheet01", "-s", str(submission), "--github"],
                                env=env)
    assert result.exit_code == 1, result.output
    encoded = output.read_text().split("result=", 1)[1].strip()
    text = base64.b64decode(encoded).decode()
    assert strict(text)["status"] == "fail"
    node_parses(text)


def test_the_batch_journal_of_nonfinite_answers(submission, tmp_path):
    grades = tmp_path / "grades.csv"
    result = CliRunner().invoke(main, ["batch", "sheet01", str(submission.parent.parent),
                                       "-o", str(grades), "-j", "1", "--seed", "5"])
    assert result.exit_code == 0, result.output
    lines = journal_path(grades).read_text().splitlines()
    assert lines
    for line in lines:
        entry = strict(line)
        node_parses(line)
    assert {"nan", "inf", "-inf"} <= received(entry["result"])


def test_validate_json_of_a_solution_with_nonfinite_answers(tmp_path):
    (tmp_path / "exercises").mkdir()
    (tmp_path / "solutions").mkdir()
    spec = tmp_path / "exercises" / "demo.yaml"
    spec.write_text(textwrap.dedent("""\
        sheet: demo
        title: Demo
        exercises:
          - {id: sq, title: square, points: 1, student: d_sq, function: "x**2",
             inputs: {x: {shape: []}}, wrt: x}
        """))
    (tmp_path / "solutions" / "demo.py").write_text("def d_sq(x):\n    return float('nan')\n")
    result = CliRunner().invoke(main, ["validate", str(spec), "--solution",
                                       str(tmp_path / "solutions" / "demo.py"), "--format",
                                       "json"])
    assert result.exit_code == 1, result.output
    assert strict(result.output)["passed"] is False
    node_parses(result.output)


def nonfinite_everywhere() -> SheetResult:
    """Non-finite values in places the grader never fills with one today: an input, a
    score, a duration. The writers encode them all the same way, or refuse nothing."""
    sheet = _sheet((exercise("1a", "f", 2.0, math.nan, "fail",
                             point("fail", {"x": [math.nan, math.inf, -math.inf]}, ok())),))
    return dataclasses.replace(sheet, duration=math.inf)


def test_every_writer_encodes_a_nonfinite_value_wherever_it_is(tmp_path):
    result = nonfinite_everywhere()
    data = strict(to_json(result))
    assert data["exercises"][0]["checks"][0]["inputs"]["x"] == ["nan", "inf", "-inf"]
    assert data["exercises"][0]["score"] == "nan" and data["duration"] == "inf"
    assert SheetResult.from_dict(data).exercises[0].checks[0].inputs["x"] == [
        "nan", "inf", "-inf"]      # inputs are data: read back as they were written
    strict(to_gradescope(result))
    strict(base64.b64decode(encoded_result(result)).decode())
    journal = Journal(tmp_path / "j.jsonl", {"spec_sha256": "x"}, seed=1)
    journal.append("alice", "0" * 64, result)
    journal.close()
    strict((tmp_path / "j.jsonl").read_text().splitlines()[-1])


def test_strict_json_is_the_one_convention():
    assert strict_json({"a": [1.0, math.nan], "b": {"c": -math.inf}}) == \
        '{"a": [1.0, "nan"], "b": {"c": "-inf"}}'
