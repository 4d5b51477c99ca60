"""--github: the Classroom reporter's result, $GITHUB_OUTPUT, the summary, annotations and
logs that a submission's printed text cannot turn into workflow commands."""

import base64
import dataclasses
import json
import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradcheck.errors import UsageError
from gradcheck.render.github import (
    MAX_ANNOTATIONS,
    MAX_ENCODED,
    annotation_lines,
    classroom_result,
    encoded_result,
    escape_data,
    escape_property,
    neutralise_commands,
    protect_log,
    protected_table,
    require_github,
    write_github,
)
from gradcheck.render.markdown import SUMMARY_LIMIT, to_markdown
from gradcheck.results import FAIL
from tests.sample_results import (
    HOSTILE_OUTPUT,
    exercise,
    full_sheet,
    load_error_sheet,
    perfect_sheet,
)


def runner_commands(log):
    """The workflow commands the Actions runner would run for ``log``.

    A model of its parser: lines end at \\n, \\r\\n or \\r; a line that starts, trimmed,
    with ``::name`` is a command, and so is ``##[name`` anywhere (old syntax);
    ``::stop-commands::<token>`` ignores everything until the line ``::<token>::``.
    """
    commands, stop = [], None
    for line in re.split(r"\r\n|\r|\n", log):
        trimmed = line.strip()
        if stop is not None:
            if trimmed == f"::{stop}::":
                commands.append("resume")
                stop = None
            continue
        match = re.match(r"::([^\s:]+)", trimmed)
        if match:
            commands.append(match.group(1))
            if match.group(1) == "stop-commands":
                stop = trimmed.split("::")[2]
            continue
        match = re.search(r"##\[([^\]\s;]+)", line)
        if match:
            commands.append(match.group(1))
    return commands


def decode(encoded):
    assert "\n" not in encoded
    return json.loads(base64.b64decode(encoded).decode("utf-8"))


def test_the_runner_model_sees_the_commands_in_hostile_output():
    assert runner_commands(HOSTILE_OUTPUT) == ["error", "add-mask", "set-output", "error",
                                              "notice"]


# -- the reporter's result -----------------------------------------------------------------

def test_one_test_per_automatic_exercise_with_fractional_scores():
    sheet = full_sheet()
    data = decode(encoded_result(sheet))
    assert data == classroom_result(sheet)
    assert (data["version"], data["status"], data["max_score"]) == (1, "fail", 26)
    names = [t["name"] for t in data["tests"]]
    assert len(names) == len(sheet.automatic) == 8 and not any(n.startswith("2 ") for n in names)
    # scores in cents, chosen so that the reporter's float sum prints the table's total
    assert math.fsum(t["score"] for t in data["tests"]) == pytest.approx(10.53)
    assert [t["score"] for t in data["tests"]][1] == 1.2
    assert data["tests"][7]["score"] == pytest.approx(16 / 3, abs=0.01)
    assert [t["status"] for t in data["tests"]] == ["pass", "fail", "fail", "error", "error",
                                                    "fail", "fail", "fail"]
    first = data["tests"][1]
    assert set(first) == {"name", "status", "score", "message", "test_code", "filename",
                          "line_no", "duration"}
    assert first["test_code"] == "gradcheck grade sheet01 \u2014 exercise 1b"
    assert (first["filename"], first["line_no"]) == ("sheet01.py", 9)
    assert "sign flipped" in first["message"] and "x = 2, mu = -0.5" in first["message"]


def test_status_pass_and_error():
    assert classroom_result(perfect_sheet())["status"] == "pass"
    broken = classroom_result(load_error_sheet())
    assert broken["status"] == "error" and broken["max_score"] == 12
    assert all(t["score"] == 0 for t in broken["tests"])


def test_the_reporters_log_of_our_messages_runs_no_command():
    data = classroom_result(full_sheet())
    log = "\n".join(f"\u274c {t['name']}\nError: {t['message']}" for t in data["tests"])
    assert "fake annotation" in log
    assert runner_commands(log) == []


def test_encoded_result_stays_small_enough_for_an_environment_variable():
    sheet = full_sheet()
    many = tuple(exercise(f"e{n}", "t" * 300, 1.0, 0.25, FAIL, message="m" * 20_000)
                 for n in range(200))
    big = dataclasses.replace(sheet, exercises=many, score=50.0, max_score=200.0)
    data = decode(encoded := encoded_result(big))
    assert len(encoded) <= MAX_ENCODED and len(data["tests"]) == 200
    assert math.isclose(math.fsum(t["score"] for t in data["tests"]), 50.0)


# -- annotations ---------------------------------------------------------------------------

def test_annotations_point_at_the_students_functions():
    lines = annotation_lines(full_sheet())
    assert len(lines) == 7                  # every automatic exercise that lost points
    assert lines[0].startswith("::error file=sheet01.py,line=9,title=1b Gaussian bump")
    assert all("\n" not in line and runner_commands(line) == ["error"] for line in lines)
    assert "%0A: :error::fake annotation" in lines[2]      # data escaped and defused
    assert "title=1e Jacobian of tanh%2C elementwise (0/2 points)::" in lines[3]
    assert lines[4].startswith("::error file=sheet01.py,title=1f ")   # no line known


def test_annotations_are_capped_at_ten():
    many = tuple(exercise(f"e{n}", "x", 1.0, 0.0, FAIL, message="wrong", line_no=n + 1)
                 for n in range(15))
    sheet = dataclasses.replace(full_sheet(), exercises=many)
    assert len(annotation_lines(sheet)) == MAX_ANNOTATIONS == 10


def test_load_error_annotation_and_paths_outside_the_repository():
    (line,) = annotation_lines(load_error_sheet())
    assert line.startswith("::error file=sheet01.py,title=The submission did not load::"
                           "SyntaxError: invalid syntax (sheet01.py%2C line 3)"[:60])
    moved = dataclasses.replace(
        full_sheet(), submission="/work/repo/sub/sheet01.py",
        exercises=tuple(dataclasses.replace(e, filename="/tmp/sandbox/sheet01.py")
                        for e in full_sheet().exercises))
    lines = annotation_lines(moved, workspace="/work/repo")
    assert lines[0].startswith("::error file=sub/sheet01.py,title=")   # sandbox path dropped
    assert annotation_lines(moved)[0].startswith("::error title=")     # no workspace known


def test_escaping_follows_actions_core():
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


# -- protected logs --------------------------------------------------------------------------

def test_protect_log_wraps_student_output_in_stop_commands():
    log = protect_log(HOSTILE_OUTPUT)
    lines = log.split("\n")
    token = lines[0].removeprefix("::stop-commands::")
    assert re.fullmatch(r"[0-9a-f]{32}", token) and lines[-1] == f"::{token}::"
    assert runner_commands(log) == ["stop-commands", "resume"]
    assert "all tests passed" in log and "\r" not in log and "\x1b" not in log
    assert protect_log("x") != protect_log("x")     # a fresh token every time


def test_a_guessed_token_does_not_end_the_protection():
    text = "::t0::\n::error::pwned\n ::t0::\n##[set-output name=x;]y"
    log = protect_log(text, token="t0")
    assert runner_commands(log) == ["stop-commands", "resume"]
    assert runner_commands(neutralise_commands(text)) == []


LOG_TEXT = st.lists(st.sampled_from(["::", ":", "##[", "#", "[", "\n", "\r", " ", "\t",
                                     "error", "stop-commands", "t0", "\u2028"])
                   | st.text(max_size=3)).map("".join)


def test_the_table_for_the_actions_log_is_protected():
    for sheet in (full_sheet(), load_error_sheet()):
        log = protected_table(sheet, verbose=True)
        assert runner_commands(log) == ["stop-commands", "resume"]
        assert "Total " in log and "\x1b" not in log
    assert "all tests passed" in protected_table(full_sheet(), verbose=True)


@given(LOG_TEXT)
def test_no_text_escapes_protection(text):
    assert runner_commands(protect_log(text)) == ["stop-commands", "resume"]
    assert runner_commands(neutralise_commands(text)) == []


# -- write_github ----------------------------------------------------------------------------

@pytest.fixture
def actions(tmp_path):
    output = tmp_path / "output"
    summary = tmp_path / "summary"
    output.write_text("earlier=1")                 # no trailing newline
    summary.write_text("# Earlier step\n")
    return {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(tmp_path)}


def test_write_github_fills_output_and_summary(actions, tmp_path):
    sheet = full_sheet()
    markdown = to_markdown(sheet)
    lines = write_github(sheet, actions, markdown=markdown)
    output = (tmp_path / "output").read_text().split("\n")
    assert output[0] == "earlier=1" and output[-1] == ""
    assert output[1].startswith("result=")
    assert decode(output[1].removeprefix("result=")) == classroom_result(
        sheet, workspace=str(tmp_path))
    assert (tmp_path / "summary").read_text() == "# Earlier step\n" + markdown
    assert lines == annotation_lines(sheet, workspace=str(tmp_path))


def test_summary_is_cut_to_stay_under_one_mebibyte(actions, tmp_path):
    (tmp_path / "summary").write_text("x" * (SUMMARY_LIMIT - 3000))
    write_github(full_sheet(), actions, markdown=to_markdown(full_sheet()))
    text = (tmp_path / "summary").read_text()
    assert SUMMARY_LIMIT - 3000 < len(text.encode()) <= SUMMARY_LIMIT
    assert text.endswith("GitHub keeps at most 1 MiB per step._\n")


def test_write_github_outside_actions_is_a_usage_error(actions, tmp_path):
    with pytest.raises(UsageError, match="GITHUB_ACTIONS=true"):
        write_github(full_sheet(), {}, markdown="")
    with pytest.raises(UsageError, match="GITHUB_ACTIONS"):
        write_github(full_sheet(), {**actions, "GITHUB_ACTIONS": "false"}, markdown="")
    with pytest.raises(UsageError, match="GITHUB_OUTPUT"):
        write_github(full_sheet(), {"GITHUB_ACTIONS": "true"}, markdown="")
    with pytest.raises(UsageError, match="not a file"):
        write_github(full_sheet(), {**actions, "GITHUB_OUTPUT": str(tmp_path / "missing")},
                     markdown="")
    assert (tmp_path / "output").read_text() == "earlier=1"
    assert require_github(actions) == tmp_path / "output"
    with pytest.raises(UsageError, match="GITHUB_OUTPUT"):
        require_github({"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": ""})
