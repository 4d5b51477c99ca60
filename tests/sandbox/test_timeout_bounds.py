"""Every place a timeout is accepted takes only finite seconds above 0, at most an hour:
``--timeout inf`` or ``1e300`` used to be accepted and made every call fail."""

from __future__ import annotations

import math

import numpy as np
import pytest
from click.testing import CliRunner

from gradcheck.cli import main
from gradcheck.errors import UsageError
from gradcheck.grading import grader
from gradcheck.sandbox import Limits, Request
from gradcheck.sandbox.limits import MAX_TIMEOUT, check_timeout
from gradcheck.spec import load_sheet

BAD = [math.inf, -math.inf, math.nan, 1e300, 3600.5, 0, -1, "x", True, None]


@pytest.mark.parametrize("value", BAD)
def test_bad_timeouts_are_usage_errors(value):
    with pytest.raises(UsageError, match="at most 3600"):
        check_timeout(value)
    for field in ("call_timeout", "load_timeout", "start_timeout"):
        with pytest.raises(UsageError):
            Limits(**{field: value})
    if value is not None:
        with pytest.raises(UsageError):
            Request.call("f", [np.array(1.0)], timeout=value)
        with pytest.raises(UsageError):
            Request.node("N", [np.array(1.0)], np.array(1.0), timeout=value)


def test_good_timeouts_are_kept():
    assert check_timeout(0.01) == 0.01 and check_timeout(MAX_TIMEOUT) == 3600.0
    assert Limits(call_timeout=3600, load_timeout=1).call_timeout == 3600
    assert Request.call("f", [np.array(1.0)], timeout=2).timeout == 2
    with pytest.raises(UsageError):
        Limits(session_timeout=math.inf)


def test_grade_refuses_an_infinite_timeout(tmp_path):
    sheet = load_sheet("sheet01")
    with pytest.raises(UsageError, match="timeout"):
        grader.grade(sheet, tmp_path / "sheet01.py", timeout=math.inf)


@pytest.mark.parametrize("command", [["grade", "sheet01"], ["batch", "sheet01", "."]])
@pytest.mark.parametrize("value", ["inf", "nan", "1e300", "3601", "0", "-2", "x"])
def test_the_cli_option_is_range_checked(tmp_path, command, value):
    result = CliRunner().invoke(main, [*command, "--timeout", value])
    assert result.exit_code == 2, result.output
    assert "at most 3600" in result.output
