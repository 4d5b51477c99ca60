"""The grade command's reports through the real CLI: GitHub Classroom (simulated Actions),
JUnit, Gradescope, Markdown, -o, --min-score, classroom init, and help on every command."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from gradcheck.cli import main
from gradcheck.sandbox.child.landlock import landlock_abi
from gradcheck.sandbox.confine import mode_warning, pick_mode

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "sheet01.py"
# 1c is right only for x >= 0 (partial credit); 1h is off by a factor 2 (zero).
PARTIAL = '''

_reference_d_1c = d_1c
_reference_jac_1h = jac_1h


def d_1c(x):
    return _reference_d_1c(x) if x >= 0 else 0.0


def jac_1h(x, A, b):
    print("::notice::1h is perfect")
    return 2 * _reference_jac_1h(x, A, b)
'''


@pytest.fixture(scope="module")
def partial(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("student") / "sheet01.py"
    path.write_text(SOLUTION.read_text() + PARTIAL)
    return path


@pytest.fixture(scope="module")
def report(partial):
    result = CliRunner().invoke(main, ["grade", "sheet01", "-s", str(partial), "-f", "json"])
    assert result.exit_code == 1, result.output
    return json.loads(result.output)


def invoke(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env)


def test_partial_credit_is_fractional(report):
    exercises = {e["id"]: e for e in report["exercises"]}
    assert 0 < exercises["1c"]["score"] < 2
    assert exercises["1h"]["score"] == 0
    assert report["score"] == pytest.approx(100 - 4 - 2 + exercises["1c"]["score"])


def test_github_mode_reports_fractional_points_summary_and_annotations(partial, report,
                                                                        tmp_path):
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    output.touch()
    summary.touch()
    cache = tmp_path / "cache"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output),
           "GITHUB_STEP_SUMMARY": str(summary), "GRADCHECK_CACHE": str(cache)}
    result = invoke("grade", "sheet01", "--submission", str(partial), "--github", env=env)
    assert result.exit_code == 1, result.output
    assert not cache.exists()  # CI grading neither reads nor writes the point cache
    (line,) = [ln for ln in output.read_text().splitlines() if ln.startswith("result=")]
    data = json.loads(base64.b64decode(line[len("result="):]))
    assert data["version"] == 1 and data["status"] == "fail"
    assert data["max_score"] == 100
    assert len(data["tests"]) == 26  # one per automatic exercise
    # the scores add up, in the reporter's order, to the total the table prints
    total = 0.0
    for test in data["tests"]:
        total += test["score"]
    assert total == pytest.approx(report["score"], abs=0.005) and repr(total) == "95.67"
    assert {t["name"].split()[0] for t in data["tests"] if t["status"] == "fail"} >= {"1c", "1h"}
    for key in ("name", "status", "score", "message", "test_code", "filename", "line_no",
                "duration"):
        assert all(key in t for t in data["tests"])
    assert "sheet01" in summary.read_text() and "1h" in summary.read_text()
    annotations = [ln for ln in result.output.splitlines() if ln.startswith("::error ")]
    assert 1 <= len(annotations) <= 10
    assert any("line=" in a and "sheet01.py" in a for a in annotations)
    raw = [ln for ln in result.output.splitlines() if ln.startswith("::notice")]
    assert raw == []  # the student's ::notice never reaches the log as a command


def test_github_mode_outside_actions_says_what_it_needs(partial):
    result = invoke("grade", "sheet01", "--submission", str(partial), "--github",
                    env={"GITHUB_ACTIONS": None, "GITHUB_OUTPUT": None})
    assert result.exit_code == 2
    assert "GITHUB_ACTIONS" in result.output


def test_junit_to_a_file(partial, report, tmp_path):
    target = tmp_path / "report.xml"
    result = invoke("grade", "sheet01", "-s", str(partial), "--format", "junit", "-o",
                    str(target))
    assert result.exit_code == 1, result.output
    root = ET.parse(target).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == len(report["exercises"]) == 26
    failing = [e for e in report["exercises"] if e["status"] == "fail"]
    assert int(suite.get("failures")) == len(failing) == len(
        [c for c in cases if c.find("failure") is not None])
    assert int(suite.get("skipped")) == 0  # sheet01 has no manual exercise left
    assert {c.get("classname") for c in cases} == {"sheet01"}


def test_gradescope_results(partial, report):
    result = invoke("grade", "sheet01", "-s", str(partial), "--format", "gradescope")
    data = json.loads(result.output)
    assert data["score"] == pytest.approx(report["score"])
    assert len(data["tests"]) == 26
    for test in data["tests"]:
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(test)
    assert sum(t["score"] for t in data["tests"]) == pytest.approx(data["score"])


def test_markdown_report(partial, report):
    result = invoke("grade", "sheet01", "-s", str(partial), "--format", "markdown")
    assert result.exit_code == 1
    assert result.output.startswith("# sheet01: ") and "| **1h** " in result.output


@pytest.mark.parametrize("threshold, code", [("50", 0), ("96", 1), ("80%", 0), ("99%", 1),
                                             ("100%", 1), ("0", 0)])
def test_min_score_sets_the_passing_line(partial, threshold, code):
    result = invoke("grade", "sheet01", "-s", str(partial), "-f", "json", "--min-score",
                    threshold)
    assert result.exit_code == code, result.output


@pytest.mark.parametrize("threshold", ["many", "-3", "120%"])
def test_min_score_rejects_nonsense(partial, threshold):
    result = invoke("grade", "sheet01", "-s", str(partial), "--min-score", threshold)
    assert result.exit_code == 2 and "min-score" in result.output


def test_table_to_a_file_has_no_colour_codes(partial, tmp_path):
    target = tmp_path / "table.txt"
    result = invoke("grade", "sheet01", "-s", str(partial), "-o", str(target))
    assert result.exit_code == 1
    text = target.read_text()
    assert "\x1b[" not in text and "1h" in text and "Total" in text


def test_classroom_init_writes_a_valid_workflow_once(tmp_path):
    result = invoke("classroom", "init", "sheet01", "-d", str(tmp_path), "--vendor")
    assert result.exit_code == 0, result.output
    workflow = yaml.safe_load((tmp_path / ".github/workflows/classroom.yml").read_text())
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    assert any(s.get("run") == "gradcheck grade sheet01 --github" for s in steps)
    again = invoke("classroom", "init", "sheet01", "-d", str(tmp_path), "--vendor")
    assert again.exit_code == 2 and "already exists" in again.output
    missing = invoke("classroom", "init", "no-such-sheet", "-d", str(tmp_path), "--vendor")
    assert missing.exit_code == 2
    bare = invoke("classroom", "init", "sheet01", "-d", str(tmp_path / "x"))
    assert bare.exit_code == 2 and "--package-spec" in bare.output and "--vendor" in bare.output


def _commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


@pytest.mark.parametrize("path, command", list(_commands(main)),
                         ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_command_has_help(path, command):
    assert command.help and command.help.strip()
    result = invoke(*path, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_version():
    from gradcheck import __version__

    result = invoke("--version")
    assert result.exit_code == 0 and __version__ in result.output


@pytest.mark.parametrize("command", [["grade", "sheet01"], ["validate", "sheet01"],
                                     ["batch", "sheet01", "."]])
def test_a_negative_seed_is_a_usage_error(command):
    result = invoke(*command, "--seed", "-1")
    assert result.exit_code == 2 and "--seed" in result.output


@pytest.mark.parametrize("summary", ["missing", "folder"])
def test_an_unusable_step_summary_is_a_clean_usage_error(partial, tmp_path, summary):
    output = tmp_path / "output"
    output.touch()
    target = tmp_path / "no-such-file.md" if summary == "missing" else tmp_path
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output),
           "GITHUB_STEP_SUMMARY": str(target)}
    result = invoke("grade", "sheet01", "--submission", str(partial), "--github", env=env)
    assert result.exit_code == 2, result.output
    assert "GITHUB_STEP_SUMMARY" in result.output and "Traceback" not in result.output
    assert output.read_text() == ""   # refused before grading: nothing half-written


def test_a_step_summary_that_cannot_be_written_is_a_clean_usage_error(partial, tmp_path,
                                                                      monkeypatch):
    from gradcheck.render import github

    output, summary = tmp_path / "output", tmp_path / "summary.md"
    output.touch()
    summary.touch()
    real_append = github._append

    def full_disk(path, text, variable):
        if variable == "GITHUB_STEP_SUMMARY":
            raise github.UsageError(f"cannot write {variable} ({path}): No space left")
        real_append(path, text, variable)

    monkeypatch.setattr(github, "_append", full_disk)
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output),
           "GITHUB_STEP_SUMMARY": str(summary)}
    result = invoke("grade", "sheet01", "--submission", str(partial), "--github", env=env)
    assert result.exit_code == 2, result.output
    assert "No space left" in result.output and "Traceback" not in result.output


def test_a_weak_sandbox_is_named_on_standard_error(partial):
    result = CliRunner().invoke(main, ["grade", "sheet01", "-s", str(partial), "-f", "json"],
                                env={"GRADCHECK_SANDBOX": "none"})
    assert result.exit_code == 1
    assert "warning: the sandbox runs in mode 'none'" in result.stderr
    json.loads(result.stdout)   # standard output holds the report alone
    auto = CliRunner().invoke(main, ["grade", "sheet01", "-s", str(partial), "-f", "json"])
    weak = mode_warning(pick_mode(), landlock_abi())
    assert ("warning: the sandbox runs" in auto.stderr) == (weak is not None), auto.stderr
