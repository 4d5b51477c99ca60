"""Exit codes and option checks that a new user meets: Ctrl-C is 130 everywhere, a report
into a folder that does not exist yet, a --min-score above the maximum."""

import json

import pytest
from click.testing import CliRunner

from gradcheck.cli import main
from gradcheck.grading import grader

SOLUTION = "solutions/sheet01.py"


@pytest.mark.parametrize("command", [["grade", "sheet01", "-s", SOLUTION],
                                     ["validate", "sheet01"]])
def test_ctrl_c_exits_130(command, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    from gradcheck.grading import validate

    monkeypatch.setattr(grader, "grade", interrupted)
    monkeypatch.setattr(validate, "validate", interrupted)
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 130, result.output


def test_ctrl_c_in_check_exits_130(tmp_path):
    (tmp_path / "f.py").write_text("def f(x):\n    raise KeyboardInterrupt\n"
                                   "def df(x):\n    return 1.0\n")
    result = CliRunner().invoke(main, ["check", f"{tmp_path}/f.py:f", f"{tmp_path}/f.py:df",
                                       "--at", "1.0"])
    assert result.exit_code == 130, result.output


def test_a_report_into_a_new_folder_is_written(tmp_path):
    target = tmp_path / "reports" / "deep" / "x.json"
    result = CliRunner().invoke(main, ["grade", "sheet01", "-s", SOLUTION, "-f", "json",
                                       "-o", str(target)])
    assert result.exit_code == 0, result.output
    report = json.loads(target.read_text())
    assert report["score"] == report["max_score"] > 0


def test_a_report_path_that_cannot_be_written_is_a_usage_error(tmp_path):
    (tmp_path / "file").write_text("")
    result = CliRunner().invoke(main, ["grade", "sheet01", "-s", SOLUTION, "-f", "json",
                                       "-o", str(tmp_path / "file" / "x.json")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "cannot write" in result.output


def test_min_score_above_the_maximum_is_a_usage_error():
    from gradcheck.spec import load_sheet

    top = load_sheet("sheet01").max_score
    result = CliRunner().invoke(main, ["grade", "sheet01", "-s", SOLUTION,
                                       "--min-score", f"{top + 1:g}"])
    assert result.exit_code == 2 and f"{top:g}" in result.output, result.output
    assert CliRunner().invoke(main, ["grade", "sheet01", "-s", SOLUTION,
                                     "--min-score", f"{top:g}"]).exit_code == 0


def _check(tmp_path, source: str, *args: str):
    (tmp_path / "mine.py").write_text(source)
    return CliRunner().invoke(main, ["check", f"{tmp_path}/mine.py:loss",
                                     f"{tmp_path}/mine.py:dloss", *args])


def test_check_kink_message_names_the_function(tmp_path):
    result = _check(tmp_path, "import numpy as np\ndef loss(x):\n    return np.abs(x)\n"
                    "def dloss(x):\n    return np.sign(x)\n", "--at", "0.0")
    assert "loss is not differentiable" in result.output and "f is not" not in result.output


def test_check_times_out_a_call_that_never_returns(tmp_path):
    source = ("def loss(x):\n    return x * x\n"
              "def dloss(x):\n    while True:\n        pass\n")
    result = _check(tmp_path, source, "--at", "1.0", "--timeout", "0.5")
    assert result.exit_code == 2, result.output
    assert "did not finish within 0.5 s" in result.output


@pytest.mark.parametrize("option", [["--rtol", "-1"], ["--rtol", "nan"], ["--rtol", "2"],
                                    ["--timeout", "0"], ["--timeout", "inf"]])
def test_check_options_are_range_checked(tmp_path, option):
    result = _check(tmp_path, "def loss(x):\n    return x\ndef dloss(x):\n    return 1.0\n",
                    "--at", "1.0", *option)
    assert result.exit_code == 2 and "Invalid value" in result.output, result.output


def test_validate_names_a_missing_solution_as_the_solution(tmp_path):
    result = CliRunner().invoke(main, ["validate", "sheet01", "--solution",
                                       str(tmp_path / "nope.py")])
    assert result.exit_code == 2 and "solution" in result.output
    assert "submission" not in result.output


def test_one_of_a_kind_is_singular(tmp_path):
    from rich.console import Console

    from gradcheck.batch import BatchSummary
    from gradcheck.render.batch import print_summary

    summary = BatchSummary(sheet="s", title="", max_score=2.0, count=1, submitted=1, mean=None,
                           median=None, histogram=(), pass_rates=(), slowest=())
    console = Console(record=True, width=100, color_system=None)
    print_summary(summary, console)
    text = console.export_text()
    assert "1 student:" in text and "1 students" not in text
    check = _check(tmp_path, "def loss(x):\n    return x * x\ndef dloss(x):\n    return 2 * x\n",
                   "--at", "1.0")
    assert "1 of 1 point passes" in check.output, check.output
