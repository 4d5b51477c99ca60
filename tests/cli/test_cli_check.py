"""`gradcheck check FILE.py:FUNC FILE.py:DERIV`: real files, the real command, exit codes."""

import textwrap

import numpy as np
import pytest
from click.testing import CliRunner

from gradcheck.cli import main

SOURCE = """
import numpy as np

def f(x):
    return np.sum(np.sin(x) * x)

def df(x):
    return np.sin(x) + x * np.cos(x)

def df_sign(x):
    return -(np.sin(x) + x * np.cos(x))

def df_crash(x):
    raise ValueError("not implemented yet")

def layer(x, A):
    return np.tanh(A @ x)

def d_layer_dx(x, A):
    return (1 - np.tanh(A @ x) ** 2)[:, None] * A

def pick(x, i):
    return np.sum(x[i] ** 2)

def dpick(x, i):
    g = np.zeros_like(x)
    g[i] = 2 * x[i]
    return g

def jumpy(x):
    return np.ones(3) if x[0] > 1 else np.ones(2)

def logf(x):
    return np.log(x)

def dlogf(x):
    return 1 / x
"""


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "funcs.py"
    path.write_text(textwrap.dedent(SOURCE))
    return path


def run(*args):
    return CliRunner(env={"COLUMNS": "200"}).invoke(main, ["check", *map(str, args)])


def test_correct_derivative_exits_0(source):
    result = run(f"{source}:f", f"{source}:df", "--at", "0.5", "--at", "[1.0, 2.0, -0.3]")
    assert result.exit_code == 0, result.output
    assert result.output.count("PASS") == 2
    assert "2 of 2 points pass" in result.output
    assert "\x1b[" not in result.output  # no colour when not a terminal


def test_wrong_derivative_exits_1_with_the_diagnosis(source):
    result = run(f"{source}:f", f"{source}:df_sign", "--at", "[1.0, 2.0]")
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output and "sign flipped" in result.output
    assert "worst entry" in result.output


def test_random_points_with_shape_and_seed(source):
    args = (f"{source}:f", f"{source}:df", "--random", 3, "--shape", "2,3", "--seed", 4)
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "3 of 3 points pass" in result.output
    assert run(*args).output == result.output  # same seed, same points


def test_python_literal_points_and_several_arguments(source):
    result = run(f"{source}:layer", f"{source}:d_layer_dx",
                 "--at", "([0.5, -1.0], [[1, 2], [0.5, 0.1], [-1, 0.3]])")
    assert result.exit_code == 0, result.output
    result = run(f"{source}:layer", f"{source}:d_layer_dx", "--wrt", 1,
                 "--at", "[[0.5, -1.0], [[1, 2], [0.5, 0.1], [-1, 0.3]]]")
    assert result.exit_code == 1 and "wrong shape" in result.output


def test_integer_arguments_stay_integers(source):
    result = run(f"{source}:pick", f"{source}:dpick", "--at", "[[1.0, 2.0, 3.0], [0, 2]]")
    assert result.exit_code == 0, result.output
    result = run(f"{source}:pick", f"{source}:dpick", "--at", "[[1.0, 2.0, 3.0], 1]")
    assert result.exit_code == 0, result.output


def test_random_points_for_several_arguments_and_a_domain(source):
    result = run(f"{source}:layer", f"{source}:d_layer_dx", "--random", 2,
                 "--shape", "2", "--shape", "3,2")
    assert result.exit_code == 0, result.output
    result = run(f"{source}:logf", f"{source}:dlogf", "--random", 2, "--shape", "",
                 "--domain", "0.001,2")  # a scalar input, only where log is defined
    assert result.exit_code == 0, result.output
    result = run(f"{source}:logf", f"{source}:dlogf", "--random", 1, "--shape", "3",
                 "--domain", "0.5,2")
    assert result.exit_code == 1 and "wrong shape (3,) — expected (3, 3)" in result.output


def test_exception_in_the_derivative_is_a_failure(source):
    result = run(f"{source}:f", f"{source}:df_crash", "--at", "1.0")
    assert result.exit_code == 1
    assert "df_crash raised ValueError: not implemented yet" in result.output


def test_point_outside_the_domain_cannot_be_checked(source):
    result = run(f"{source}:logf", f"{source}:dlogf", "--at", "-1.0", "--at", "2.0")
    assert result.exit_code == 2, result.output
    assert "cannot check here" in result.output and "not finite" in result.output
    assert "1 of 2 points pass" in result.output


def test_missing_function_exits_2_with_a_message(source):
    result = run(f"{source}:f", f"{source}:d_missing", "--at", "1.0")
    assert result.exit_code == 2
    assert "has no function 'd_missing'" in result.output and "df, df_crash" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args, phrase", [
    (["{dir}/nope.py:f", "{src}:df", "--at", "1"], "file not found"),
    (["{src}", "{src}:df", "--at", "1"], "expected FILE.py:FUNCTION"),
    (["{src}:f", "{src}:df"], "give at least one point"),
    (["{src}:f", "{src}:df", "--at", "one"], "not a number"),
    (["{src}:f", "{src}:df", "--at", "__import__('os')"], "not a number"),
    (["{src}:f", "{src}:df", "--random", "2"], "--shape"),
    (["{src}:layer", "{src}:d_layer_dx", "--at", "[1.0, 2.0, 3.0]"], "one entry per argument"),
    (["{src}:f", "{src}:df", "--at", "1", "--wrt", "3"], "--wrt 3"),
    (["{src}:f", "{src}:df", "--at", "1", "--shape", "3"], "--shape is for --random"),
    (["{src}:f", "{src}:df", "--random", "1", "--shape", "3,x"], "--shape '3,x': expected"),
    (["{src}:f", "{src}:df", "--random", "1", "--shape", "0"], "sizes must be positive"),
    (["{src}:f", "{src}:df", "--random", "1", "--shape", "3", "--domain", "a,b"],
     "--domain 'a,b': expected an interval"),
    (["{src}:f", "{src}:df", "--random", "1", "--shape", "3", "--domain", "2,1"],
     "LOW must be below HIGH"),
])
def test_usage_errors_exit_2(source, args, phrase):
    args = [a.format(src=source, dir=source.parent) for a in args]
    result = CliRunner().invoke(main, ["check", *args])
    assert result.exit_code == 2, result.output
    assert phrase in result.output
    assert "Traceback" not in result.output


def test_file_that_does_not_import_exits_2(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def f(x):\n    return x +\n")
    result = CliRunner().invoke(main, ["check", f"{broken}:f", f"{broken}:f", "--at", "1"])
    assert result.exit_code == 2
    assert "could not load" in result.output and "SyntaxError" in result.output


def test_user_file_can_import_its_neighbours(tmp_path):
    (tmp_path / "helpers.py").write_text("import numpy as np\ndef cube(x):\n    return x**3\n")
    (tmp_path / "main_funcs.py").write_text(
        "from helpers import cube\ndef f(x):\n    return cube(x)\n"
        "def df(x):\n    return 3 * x**2\n")
    path = tmp_path / "main_funcs.py"
    result = CliRunner().invoke(main, ["check", f"{path}:f", f"{path}:df", "--at", "2"])
    assert result.exit_code == 0, result.output


def test_long_random_points_are_shown_whole(source):
    result = run(f"{source}:f", f"{source}:df", "--random", 1, "--shape", 40, "--seed", 3)
    assert result.exit_code == 0, result.output
    point = np.random.default_rng(3).uniform(-2, 2, 40)
    assert f"{point[-1]:.6f}".rstrip("0") in result.output and "…" not in result.output
    assert "point 1" in result.output


def test_errors_of_gradcheck_itself_are_not_blamed_on_the_function(source, monkeypatch):
    import importlib

    check_module = importlib.import_module("gradcheck.check")   # the module, not the function

    result = run(f"{source}:jumpy", f"{source}:df", "--at", "[1.0, 1.0]")
    assert result.exit_code == 2 and "f returned shape (3,) at a nearby point" in result.output
    assert "raised" not in result.output

    def broken(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(check_module, "check", broken)
    result = run(f"{source}:f", f"{source}:df", "--at", "1.0")
    assert result.exit_code == 2 and "internal error" in result.output
    assert "gradcheck failed: KeyError" in result.output and "f raised" not in result.output


def test_check_has_help_text():
    result = CliRunner().invoke(main, ["check", "--help"])
    assert result.exit_code == 0
    assert "derivative of FUNC" in result.output and "--random" in result.output


def test_function_raising_at_a_point_is_reported(tmp_path):
    path = tmp_path / "raising.py"
    path.write_text("def f(x):\n    raise RuntimeError('boom')\ndef df(x):\n    return 1.0\n")
    result = CliRunner().invoke(main, ["check", f"{path}:f", f"{path}:df", "--at", "1"])
    assert result.exit_code == 2
    assert "f raised RuntimeError: boom" in result.output and "Traceback" not in result.output


def test_colour_only_on_a_terminal_and_never_with_no_color(source):
    args = ["check", f"{source}:f", f"{source}:df", "--at", "1"]
    coloured = CliRunner(env={"FORCE_COLOR": "1"}).invoke(main, args)
    assert "\x1b[32m" in coloured.output  # green border for a pass
    plain = CliRunner(env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).invoke(main, args)
    assert "\x1b[" not in plain.output and plain.exit_code == 0
