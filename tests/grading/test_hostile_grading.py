"""Hostile submissions of sheet01, graded through the real CLI.

Each submission is the reference solution with an attack appended (tests/hostile_sheet01/).
The attacked exercises score 0 with a reason, every other exercise keeps its points, the grade
finishes within a bound, nothing the submission started survives it, and no file outside its
scratch folder changes.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import hang_guard

from gradcheck.cli import main
from gradcheck.sandbox.confine import available_modes

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "sheet01.py"
HOSTILE = Path(__file__).resolve().parents[1] / "hostile_sheet01"
BOUND = 45  # seconds for one hostile grade (a hang guard, not a speed goal)
CONFINING = [m for m in ("bwrap", "landlock") if m in available_modes()]


@pytest.fixture(autouse=True)
def bounded():
    with hang_guard(BOUND, "grading"):
        yield


def submission(tmp_path: Path, attack: str, **placeholders: str) -> Path:
    text = (HOSTILE / attack).read_text()
    for key, value in placeholders.items():
        text = text.replace(f"__{key}__", value)
    folder = tmp_path / "student"
    folder.mkdir(exist_ok=True)
    path = folder / "sheet01.py"
    path.write_text(SOLUTION.read_text() + "\n\n" + text)
    return path


def grade(path: Path, *args: str):
    result = CliRunner().invoke(main, ["grade", "sheet01", "--submission", str(path),
                                       "--timeout", "1", "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def by_id(report):
    return {e["id"]: e for e in report["exercises"]}


def lost(report) -> dict[str, str]:
    """Exercise id -> status, for every automatic exercise that lost points."""
    return {e["id"]: e["status"] for e in report["exercises"]
            if e["kind"] != "manual" and e["score"] < e["points"]}


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().split()[2]
        except OSError:
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(int(entry))
    return found


@pytest.mark.parametrize("attack, status, reason", [
    ("loop.py", "timeout", "1"),
    ("loop_ignoring_signals.py", "timeout", "1"),
    ("memory_bomb.py", "error", "MemoryError"),
    ("sys_exit.py", "error", "sys.exit"),
    ("os_exit.py", "error", "os._exit"),
    ("monkeypatch_numpy.py", "fail", "1c"),
    ("rigged_array.py", "fail", "1c"),
])
def test_an_attack_costs_only_its_own_exercise(tmp_path, attack, status, reason):
    started = time.monotonic()
    code, report = grade(submission(tmp_path, attack))
    assert code == 1
    assert lost(report) == {"1c": status}, lost(report)
    assert report["score"] == 98
    message = by_id(report)["1c"]["message"]
    assert message and reason in message + by_id(report)["1c"]["id"], message
    assert time.monotonic() - started < BOUND


def test_children_in_new_sessions_do_not_survive(tmp_path):
    marker = f"gradcheck-hostile-{uuid.uuid4().hex}"
    code, report = grade(submission(tmp_path, "setsid_children.py", MARKER=marker))
    assert lost(report) == {"1c": "fail"} and report["score"] == 98
    deadline = time.monotonic() + 5
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(marker) == []


def test_a_reforking_bomb_costs_only_its_own_exercise(tmp_path):
    started = time.monotonic()
    code, report = grade(submission(tmp_path, "refork_bomb.py"))
    assert lost(report) == {"1c": "fail"} and report["score"] == 98
    assert time.monotonic() - started < BOUND
    durations = {e["id"]: e["duration"] for e in report["exercises"] if e["id"] != "1c"}
    assert max(durations.values()) < 5, durations   # no exercise slowed by leftovers


def test_import_time_crash_scores_zero_with_the_reason(tmp_path):
    code, report = grade(submission(tmp_path, "crash_at_import.py"))
    assert code == 1 and report["score"] == 0
    assert "RuntimeError" in report["load_error"] and "import" in report["load_error"]
    assert set(lost(report).values()) == {"error"}
    assert "Traceback" not in report["load_error"]


def test_fake_results_and_workflow_commands_are_only_text(tmp_path):
    code, report = grade(submission(tmp_path, "fake_output.py"))
    assert lost(report) == {"1c": "fail"} and report["score"] == 98
    assert "::notice::all 64 points passed" in report["output"]  # captured, shown as text
    assert "::notice::1c passed" in by_id(report)["1c"]["output"]


def workflow_commands(log: str) -> list[str]:
    """The lines the Actions runner would run as commands: starting with ``::`` once trimmed,
    outside a ``::stop-commands::TOKEN`` ... ``::TOKEN::`` block (the old ``##[`` syntax
    counts anywhere)."""
    commands, stopped = [], None
    for line in log.replace("\r", "\n").splitlines():
        trimmed = line.strip()
        if stopped is not None:
            if trimmed == f"::{stopped}::":
                stopped = None
            assert "##[" not in line, line
            continue
        if trimmed.startswith("::stop-commands::"):
            stopped = trimmed[len("::stop-commands::"):]
        elif trimmed.startswith("::"):
            commands.append(trimmed)
        assert "##[" not in line, line
    return commands


@pytest.mark.parametrize("fmt", ["table", "json", "junit", "markdown", "gradescope"])
def test_fake_workflow_commands_cannot_reach_the_github_log(tmp_path, monkeypatch, fmt):
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        (tmp_path / name.lower()).touch()
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    path = submission(tmp_path, "fake_output.py")
    result = CliRunner().invoke(main, ["grade", "sheet01", "--submission", str(path),
                                       "--github", "-v", "--format", fmt])
    assert result.exit_code == 1, result.output
    assert "1c passed" in result.output           # the student's output is in the log ...
    commands = workflow_commands(result.output)   # ... but only our commands run
    assert commands and all(c.startswith("::error file=") for c in commands), commands
    for word in ("::notice::", "::add-mask::", "::warning::", "::stop-commands::pwned"):
        assert not any(word in c for c in commands)


def test_returning_things_that_are_not_answers(tmp_path):
    code, report = grade(submission(tmp_path, "bad_returns.py"))
    assert lost(report) == {"1c": "fail", "1d": "error", "1e": "error", "1f1": "error"}
    assert report["score"] == 92
    exercises = by_id(report)
    assert "NaN" in exercises["1c"]["message"]
    assert "None" in exercises["1d"]["message"]
    assert "str" in exercises["1e"]["message"]
    assert "ragged" in exercises["1f1"]["message"]


def test_extreme_values_are_graded_with_a_message(tmp_path):
    code, report = grade(submission(tmp_path, "extreme_values.py"))
    assert code == 1
    assert lost(report) == {"1c": "fail", "1d": "fail", "1e": "fail", "1f1": "error"}
    assert report["score"] == 92
    exercises = by_id(report)
    assert "1.7e+308" in exercises["1c"]["message"]
    assert "-1.7e+308" in exercises["1d"]["message"]
    assert "4.94066e-324" in exercises["1e"]["message"]
    assert "integer too large for a float64 (about 10^400)" in exercises["1f1"]["message"]
    json.dumps(report, allow_nan=False)


def test_forbidden_imports_inside_functions_are_refused_by_name(tmp_path):
    code, report = grade(submission(tmp_path, "forbidden_inside.py"))
    assert lost(report) == {"1c": "error", "1e": "error", "1f1": "error"}
    exercises = by_id(report)
    for exercise_id, package in (("1c", "torch"), ("1e", "gradcheck"), ("1f1", "sympy")):
        message = exercises[exercise_id]["message"]
        assert package in message and "not allowed" in message, message


def test_secrets_in_the_environment_are_not_visible(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_not_for_students")
    monkeypatch.setenv("COURSE_SECRET", "answers-are-here")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-not-for-students")
    code, report = grade(submission(tmp_path, "secrets_env.py"))
    assert lost(report) == {"1c": "error"} and report["score"] == 98
    printed = by_id(report)["1c"]["output"]
    assert "PATH" in printed  # the environment was printed ...
    for secret in ("ghp_not_for_students", "answers-are-here", "aws-not-for-students",
                   "GITHUB_TOKEN", "COURSE_SECRET"):
        assert secret not in printed  # ... without any secret in it


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("mode", CONFINING)
def test_no_file_outside_the_scratch_folder_changes(tmp_path, monkeypatch, mode):
    monkeypatch.setenv("GRADCHECK_SANDBOX", mode)
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").write_text("the grader's own report")
    path = submission(tmp_path, "writes.py", ORIGINAL_DIR=str(tmp_path / "student"),
                      OUTPUT_DIR=str(out))
    before = {"student": _tree(path.parent), "out": _tree(out)}
    code, report = grade(path)
    assert lost(report) == {"1c": "fail"} and report["score"] == 98
    printed = by_id(report)["1c"]["output"]
    assert "WRITTEN" not in printed, printed      # every write was attempted and refused
    for target in (path.parent / "hacked.txt", out / "report.json", out / "extra.txt"):
        assert f"refused: {target}: " in printed, printed
    assert {"student": _tree(path.parent), "out": _tree(out)} == before


def test_a_submission_that_crashes_every_call_costs_little(tmp_path):
    started = time.monotonic()
    code, report = grade(submission(tmp_path, "slow_crash.py"))
    # Exercise 2 (graph exercises) is read from the text, never run: it keeps its 36 points.
    assert code == 1 and report["score"] == 36
    messages = [e["message"] for e in report["exercises"] if e["kind"] not in ("manual", "graph")]
    assert all("not run" in m for m in messages)   # each exercise stopped at its crash
    crashes = [m for m in messages if "os._exit(0)" in m]
    capped = [m for m in messages if "not restarted again" in m]
    assert len(crashes) == 10 and len(capped) == len(messages) - 10, messages
    assert time.monotonic() - started < BOUND


@pytest.mark.parametrize("fmt", ["table", "json", "junit", "markdown", "gradescope"])
def test_text_that_utf8_cannot_hold_reaches_every_format_escaped(tmp_path, fmt):
    path = submission(tmp_path, "surrogates.py")
    result = CliRunner().invoke(main, ["grade", "sheet01", "--submission", str(path),
                                       "--timeout", "1", "--format", fmt, "-v"])
    assert result.exit_code == 1, result.output
    result.output.encode("utf-8")                 # no lone surrogate left to fail on
    if fmt in ("json", "gradescope"):
        assert "bad \\\\ud800 value" in result.output   # a backslash, escaped in JSON
    elif fmt != "table":                          # (the table cuts the message short)
        assert "bad \\ud800 value" in result.output


@pytest.mark.parametrize("attack, package", [("forbidden_bypass.py", "sympy"),
                                             ("forbidden_bypass_gradcheck.py", "gradcheck")])
def test_a_forbidden_package_cannot_be_used_by_removing_the_hooks(tmp_path, attack, package):
    pytest.importorskip(package)  # gradcheck is always there; sympy only where installed
    code, report = grade(submission(tmp_path, attack))
    assert code == 1 and report["score"] == 0
    assert f"importing '{package}' is not allowed on this sheet" in report["load_error"]
