"""The sandbox's API on honest and broken (not hostile) submissions (the protocol and the
conversion of values: tests/sandbox/test_protocol_values.py).

Hostile submissions are in tests/test_sandbox_hostile.py.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import numpy as np
import pytest

from gradcheck.errors import SubmissionError, UsageError
from gradcheck.sandbox import Sandbox
from gradcheck.sandbox.limits import Limits

SHEET = '''\
import math
import numpy as np

SCALE = 2.0


def d_1a(x):
    print("computing d_1a at", x)
    return -3 * x**2 * math.sin(x**3) * math.log(x**4 / 11) + 4 * math.cos(x**3) / x


def double(x):
    return SCALE * x


def as_float32(x):
    return np.asarray(x, dtype=np.float32) / 4


def as_int(x):
    return 7


def as_bool(x):
    return True


def as_list(x):
    return [1, 2.5, 3]


def pair(x, y):
    return x + y, x * y


def stacked(x):
    return np.stack([x, 2 * x])


def scalar_type(x):
    return 1.0 if type(x) is np.float64 else 0.0


def todo(x):
    raise NotImplementedError("exercise 1b")


def broken(x):
    return helper(x)


def helper(x):
    return x / undefined_name


def where_am_i(x):
    import os
    print(os.getcwd())
    print(sorted(os.listdir(".")))
    return 0.0


def chatty(x):
    print("line one\\x00\\x1b[31mred\\x1b[0m")
    return 1.0


class Mul:
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad_output):
        return grad_output * self.b, grad_output * self.a


class Square:
    def forward(self, x):
        self.x = x
        return x**2

    def backward(self, grad_output):
        return (2 * self.x * grad_output,)


class HalfDone:
    def forward(self, x):
        return x

    def backward(self, grad_output):
        raise NotImplementedError


class NoBackward:
    def forward(self, x):
        return x


print("sheet loaded")
'''

NOTEBOOK_CELLS = [
    ("markdown", "# Sheet 01"),
    ("code", "%matplotlib inline\nimport numpy as np\n!pip install torch\n"),
    ("code", "%%time\nraise RuntimeError('a timed cell runs its body')\n"),
    ("code", "def d_1a(x):\n    return 2 * x\n"),
    ("code", "x = 1\ny = x / 0\n"),
    ("code", "if True:\n    !ls\n    def d_1b(x):\n        return 3 * x\n"),
    ("code", "def d_1c(x)\n    return x\n"),
    ("code", "print('notebook done')\n"),
]


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(limits=Limits(call_timeout=2, load_timeout=5)) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def sheet(sandbox, tmp_path_factory):
    path = tmp_path_factory.mktemp("sheet") / "sheet01.py"
    path.write_text(SHEET)
    with sandbox.open(path) as session:
        yield session


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def notebook(tmp_path: Path, cells) -> Path:
    document = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": kind, "metadata": {}, "source": text.splitlines(keepends=True),
         **({"outputs": [], "execution_count": None} if kind == "code" else {})}
        for kind, text in cells]}
    path = tmp_path / "sheet01.ipynb"
    path.write_text(json.dumps(document))
    return path


# -- loading -----------------------------------------------------------------------------------


def test_load_lists_definitions_with_lines_and_parameters(sheet):
    load = sheet.load
    assert load.ok and load.status == "ok" and not load.error
    assert load.defs["d_1a"] == {"kind": "function", "line": SHEET.splitlines().index(
        "def d_1a(x):") + 1, "params": ["x"]}
    assert load.defs["pair"]["params"] == ["x", "y"]
    assert load.defs["Mul"]["kind"] == "class"
    assert load.defs["Mul"]["methods"] == ["backward", "forward"]
    assert load.defs["SCALE"]["kind"] == "other"
    assert "math" not in load.defs and "np" not in load.defs   # modules are not definitions
    assert load.output == "sheet loaded\n"
    assert load.duration > 0


def test_syntax_error_names_the_line(sandbox, tmp_path):
    path = write(tmp_path, "sheet01.py", """\
        def d_1a(x):
            return 2 * x

        def d_1b(x)
            return x
        """)
    with sandbox.open(path) as session:
        load = session.load
        assert not load.ok and load.status == "error"
        assert load.line == 4
        assert "SyntaxError" in load.error and "line 4" in load.error
        assert "def d_1b(x)" in load.error
        outcome = session.call("d_1a", [np.array(1.0)])
        assert outcome.status == "error" and "did not load" in outcome.message


def test_exception_at_import_shows_only_the_students_frames(sandbox, tmp_path):
    path = write(tmp_path, "sheet01.py", """\
        import numpy as np

        def setup():
            return np.linalg.inv(np.zeros((2, 2)))

        WEIGHTS = setup()
        """)
    with sandbox.open(path) as session:
        load = session.load
        assert not load.ok and load.status == "error"
        assert load.error.startswith("LinAlgError: Singular matrix at import")
        assert "sheet01.py, line 4" in load.error
        assert load.line == 4
        assert 'File "sheet01.py", line 6, in <module>' in load.traceback
        assert "numpy" not in load.traceback and "worker" not in load.traceback


def test_notebook_drops_magics_and_reports_them_and_failing_cells(sandbox, tmp_path):
    path = notebook(tmp_path, NOTEBOOK_CELLS)
    with sandbox.open(path) as session:
        load = session.load
        assert load.ok, load
        assert set(load.defs) >= {"d_1a", "d_1b", "x"} and "d_1c" not in load.defs
        assert load.defs["d_1a"]["cell"] == 4 and load.defs["d_1a"]["line"] == 1
        assert load.defs["d_1b"]["cell"] == 6 and load.defs["d_1b"]["line"] == 3
        assert len(load.warnings) == 5, load.warnings
        assert load.warnings[0] == ("cell 2: lines 1, 3 dropped (IPython syntax, not run): "
                                    "%matplotlib inline; !pip install torch")
        assert load.warnings[1].startswith("cell 3 failed: RuntimeError: a timed cell")
        assert load.warnings[2].startswith("cell 5 failed: ZeroDivisionError")
        assert "cell 5, line 2" in load.warnings[2]
        assert load.warnings[3] == "cell 6: line 2 dropped (IPython syntax, not run): !ls"
        assert load.warnings[4].startswith("cell 7 skipped: SyntaxError")
        assert "notebook done" in load.output
        assert session.call("d_1b", [np.array(2.0)]).value == 6.0


def test_not_a_notebook(sandbox, tmp_path):
    path = tmp_path / "sheet01.ipynb"
    path.write_text("{not json")
    with sandbox.open(path) as session:
        assert not session.load.ok and "not a valid notebook" in session.load.error


def test_module_name_can_be_chosen(sandbox, tmp_path):
    path = write(tmp_path, "submission.py",
                 "def name(x):\n    return float(__name__ == 'sheet01')\n")
    with sandbox.open(path, module="sheet01") as session:
        assert session.call("name", [np.array(0.0)]).value == 1.0


def test_open_rejects_missing_and_foreign_files(sandbox, tmp_path):
    with pytest.raises(SubmissionError, match="no such file"):
        sandbox.open(tmp_path / "absent.py")
    (tmp_path / "sheet01.txt").write_text("x = 1")
    with pytest.raises(SubmissionError, match=r"\.py or \.ipynb"):
        sandbox.open(tmp_path / "sheet01.txt")


# -- calls -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "arg", "expected"), [
    ("d_1a", 1.0, -3 * np.sin(1.0) * np.log(1 / 11) + 4 * np.cos(1.0)),
    ("double", [1.0, -2.0], [2.0, -4.0]),
    ("as_float32", [1.0, 3.0], [0.25, 0.75]),
    ("as_int", 0.0, 7.0),
    ("as_bool", 0.0, 1.0),
    ("as_list", 0.0, [1.0, 2.5, 3.0]),
    ("scalar_type", 1.0, 1.0),
])
def test_results_arrive_as_float64_arrays(sheet, name, arg, expected):
    outcome = sheet.call(name, [np.array(arg)])
    assert outcome.status == "ok", outcome
    assert type(outcome.value) is np.ndarray and outcome.value.dtype == np.float64
    np.testing.assert_allclose(outcome.value, expected, rtol=1e-12)


def test_arity_splits_tuples_and_first_axes(sheet):
    outcome = sheet.call("pair", [np.array(2.0), np.array([1.0, 3.0])], arity=2)
    assert outcome.status == "ok"
    assert isinstance(outcome.value, tuple) and len(outcome.value) == 2
    np.testing.assert_array_equal(outcome.value[0], [3.0, 5.0])
    np.testing.assert_array_equal(outcome.value[1], [2.0, 6.0])
    stacked = sheet.call("stacked", [np.array([1.0, 2.0])], arity=2)
    np.testing.assert_array_equal(stacked.value[1], [2.0, 4.0])
    wrong = sheet.call("double", [np.array(1.0)], arity=2)
    assert wrong.status == "invalid" and "expected a tuple of 2 results" in wrong.message
    with pytest.raises(UsageError):
        sheet.call("pair", [np.array(1.0)], arity=0)


def test_not_implemented_missing_and_errors(sheet):
    todo = sheet.call("todo", [np.array(1.0)])
    assert todo.status == "not implemented"
    assert "exercise 1b" in todo.message and todo.line == SHEET.splitlines().index(
        '    raise NotImplementedError("exercise 1b")') + 1
    missing = sheet.call("d_9z", [np.array(1.0)])
    assert missing.status == "missing" and "'d_9z'" in missing.message
    not_callable = sheet.call("SCALE", [np.array(1.0)])
    assert not_callable.status == "missing" and "not a function" in not_callable.message
    broken = sheet.call("broken", [np.array(1.0)])
    assert broken.status == "error"
    assert broken.message.startswith("NameError: name 'undefined_name' is not defined in broken")
    assert broken.line == SHEET.splitlines().index("    return x / undefined_name") + 1
    assert broken.traceback.count('File "sheet01.py"') == 2


def test_node_forward_and_backward(sheet):
    a, b, grad = np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([1.0, -1.0])
    outcome = sheet.node("Mul", [a, b], grad)
    assert outcome.status == "ok", outcome
    out, grads = outcome.value
    np.testing.assert_array_equal(out, a * b)
    assert isinstance(grads, tuple) and len(grads) == 2
    np.testing.assert_array_equal(grads[0], grad * b)
    np.testing.assert_array_equal(grads[1], grad * a)
    square = sheet.node("Square", [np.array(3.0)], np.array(1.0))
    assert square.status == "ok" and square.value[0] == 9.0 and square.value[1][0] == 6.0


def test_node_failures(sheet):
    half = sheet.node("HalfDone", [np.array(1.0)], np.array(1.0))
    assert half.status == "not implemented" and "HalfDone.backward" in half.message
    no_backward = sheet.node("NoBackward", [np.array(1.0)], np.array(1.0))
    assert no_backward.status == "missing" and "no backward method" in no_backward.message
    not_a_class = sheet.node("double", [np.array(1.0)], np.array(1.0))
    assert not_a_class.status == "missing" and "not a class" in not_a_class.message
    wrong_arity = sheet.node("Mul", [np.array(1.0)], np.array(1.0))
    assert wrong_arity.status == "error" and "TypeError" in wrong_arity.message


def test_output_is_captured_per_call_and_cleaned(sheet):
    first = sheet.call("d_1a", [np.array(1.0)])
    assert first.output == "computing d_1a at 1.0\n"
    assert sheet.call("double", [np.array(1.0)]).output == ""
    chatty = sheet.call("chatty", [np.array(1.0)])
    assert chatty.output == "line one\\x00red\n"


def test_worker_runs_in_its_scratch_folder(sheet):
    outcome = sheet.call("where_am_i", [np.array(0.0)])
    cwd, listing = outcome.output.splitlines()
    assert cwd == str(sheet.scratch)
    assert listing == "['sheet01.py']"
    assert (sheet.scratch / "sheet01.py").read_text() == SHEET
    assert sheet.scratch.is_relative_to(Path(os.path.realpath(sheet._sandbox.scratch)))


def test_environment_is_scrubbed(monkeypatch, tmp_path):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    monkeypatch.setenv("FOO_SECRET", "hunter2")
    path = write(tmp_path, "sheet01.py", """\
        import os

        def env(x):
            print(repr(dict(os.environ)))
            return 0.0
        """)
    with Sandbox() as sandbox, sandbox.open(path) as session:
        output = session.call("env", [np.array(0.0)]).output
        assert "ghp_secret" not in output and "hunter2" not in output
        assert "GITHUB_TOKEN" not in output and "FOO_SECRET" not in output
        assert f"'HOME': '{session.scratch}'" in output
        assert "'OPENBLAS_NUM_THREADS': '1'" in output


def test_result_and_output_caps(tmp_path):
    path = write(tmp_path, "sheet01.py", """\
        import numpy as np

        def big(x):
            return np.zeros(1000)

        def small(x):
            return np.zeros(10)

        def loud(x):
            print("y" * 5000)
            return 0.0
        """)
    limits = Limits(result_size=1024, output=100)
    with Sandbox(limits=limits) as sandbox, sandbox.open(path) as session:
        big = session.call("big", [np.array(0.0)])
        assert big.status == "invalid" and "too large" in big.message
        assert session.call("small", [np.array(0.0)]).status == "ok"
        loud = session.call("loud", [np.array(0.0)])
        assert loud.output.startswith("y" * 100 + "\n[output truncated: 4901 more bytes")


def test_a_submission_cannot_shadow_numpy(sandbox, tmp_path):
    path = write(tmp_path, "numpy.py", """\
        import sys

        def real(x):
            return float(sys.modules["numpy"].__file__.endswith("__init__.py"))
        """)
    with sandbox.open(path) as session:
        assert session.call("real", [np.array(0.0)]).value == 1.0
