"""`gradcheck check work.ipynb:f work.ipynb:df`: functions from a notebook, read as `grade`
reads one (IPython syntax dropped or run), called in a sandbox worker; and `--atol`."""

import json
import math

import pytest
from click.testing import CliRunner

from gradcheck import check
from gradcheck.cli import main

CELLS = [
    ("markdown", "# My work\nf(x) = sum(sin(x) x)"),
    ("code", "%matplotlib inline\nimport numpy as np\nimport sys"),
    ("code", "%%time\ndef f(x):\n    return np.sum(np.sin(x) * x)"),
    ("code", "def df(x):\n    return np.sin(x) + x * np.cos(x)\n\ndf(np.ones(2))"),
    ("code", "def df_twice(x):\n    return 2 * (np.sin(x) + x * np.cos(x))"),
    # right only where no grader is loaded beside it: the notebook runs in its own worker
    ("code", "def df_alone(x):\n    g = np.sin(x) + x * np.cos(x)\n"
             "    return g if 'gradcheck' not in sys.modules else 0 * g"),
    ("code", "def df_crash(x):\n    raise ValueError('not yet')\n\n"
             "def f_crash(x):\n    raise KeyError('nope')"),
    ("code", "def df_forever(x):\n    while True:\n        pass"),
    ("code", "def scaled(x, scale=2.0):\n    return scale * np.sum(x ** 2)\n\n"
             "def dscaled(x, scale=2.0):\n    return 2 * scale * x"),
]


def notebook(path, cells=CELLS):
    path.write_text(json.dumps({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [{"cell_type": kind, "metadata": {}, "source": text.splitlines(True),
                   **({"outputs": [], "execution_count": None} if kind == "code" else {})}
                  for kind, text in cells]}))
    return path


@pytest.fixture
def work(tmp_path):
    return notebook(tmp_path / "work.ipynb")


def run(*args):
    return CliRunner(env={"COLUMNS": "200"}).invoke(main, ["check", *map(str, args)])


def test_a_notebooks_functions_are_checked(work):
    result = run(f"{work}:f", f"{work}:df", "--at", "0.5", "--at", "[1.0, 2.0, -0.3]")
    assert result.exit_code == 0, result.output
    assert "2 of 2 points pass" in result.output
    assert "%matplotlib inline" in result.output   # the line dropped is named


def test_a_wrong_derivative_in_a_notebook_fails_with_its_diagnosis(work):
    result = run(f"{work}:f", f"{work}:df_twice", "--at", "[1.0, 2.0]")
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output and "off by a constant factor 2" in result.output


def test_the_notebook_runs_in_a_worker_not_in_this_process(work):
    result = run(f"{work}:f", f"{work}:df_alone", "--at", "[0.3, 1.2]")
    assert result.exit_code == 0, result.output


def test_a_notebook_and_a_file_mix(work, tmp_path):
    module = tmp_path / "mine.py"
    module.write_text("import numpy as np\n\ndef f(x):\n    return np.sum(np.sin(x) * x)\n")
    result = run(f"{module}:f", f"{work}:df", "--at", "[0.1, 0.7]")
    assert result.exit_code == 0, result.output


def test_default_arguments_count_as_the_notebooks_signature(work):
    result = run(f"{work}:scaled", f"{work}:dscaled", "--at", "[1.0, -2.0]")
    assert result.exit_code == 0, result.output
    assert "x = [1.0, -2.0]" in result.output


def test_an_exception_in_the_notebook(work):
    crash = run(f"{work}:f", f"{work}:df_crash", "--at", "0.5")
    assert crash.exit_code == 1 and "ValueError: not yet" in crash.output, crash.output
    assert "cell 7" in crash.output
    f_crash = run(f"{work}:f_crash", f"{work}:df", "--at", "0.5")
    assert f_crash.exit_code == 2 and "KeyError" in f_crash.output, f_crash.output
    assert "cannot check here" in f_crash.output


def test_a_notebook_function_that_never_returns_is_stopped(work):
    result = run(f"{work}:f", f"{work}:df_forever", "--at", "0.5", "--timeout", "0.5")
    assert result.exit_code == 2, result.output
    assert "did not finish within 0.5 s" in result.output


def test_a_missing_function_or_a_broken_notebook_is_a_usage_error(work, tmp_path):
    missing = run(f"{work}:f", f"{work}:g", "--at", "0.5")
    assert missing.exit_code == 2 and "has no function 'g'" in missing.output, missing.output
    assert "df_twice" in missing.output   # what it does define
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    result = run(f"{broken}:f", f"{broken}:df", "--at", "0.5")
    assert result.exit_code == 2 and "broken.ipynb" in result.output, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "-inf", "1e300"])
def test_atol_is_range_checked(work, value):
    result = run(f"{work}:f", f"{work}:df", "--at", "0.5", "--atol", value)
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--atol'" in result.output, result.output
    assert "Traceback" not in result.output


def test_atol_loosens_the_check(tmp_path):
    path = tmp_path / "near.py"
    path.write_text("import numpy as np\n\ndef f(x):\n    return np.sin(x)\n\n"
                    "def df(x):\n    return np.cos(x) + 3e-3\n")
    strict = run(f"{path}:f", f"{path}:df", "--at", "0.5")
    loose = run(f"{path}:f", f"{path}:df", "--at", "0.5", "--atol", "0.01")
    assert strict.exit_code == 1 and loose.exit_code == 0, (strict.output, loose.output)


@pytest.mark.parametrize("options", [{"atol": -1.0}, {"atol": math.nan}, {"rtol": math.nan},
                                     {"rtol": 0.0}, {"atol": 1e300}])
def test_the_api_refuses_tolerances_that_check_nothing(options):
    from gradcheck.errors import UsageError

    with pytest.raises(UsageError):
        check(math.sin, math.cos, 0.5, **options)


def test_one_bound_on_atol_everywhere():
    import sys

    from gradcheck.cli import check as command
    from gradcheck.spec import bounds

    api = sys.modules["gradcheck.check"]
    assert command.MAX_ATOL == api.MAX_ATOL == bounds.MAX_ATOL
