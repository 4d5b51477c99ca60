"""IPython syntax in notebook cells, by IPython's rules (IPython/core/inputtransformer2.py):
only the first token of a logical line can be a magic, a shell escape or a help request;
``%%time`` and ``%%capture`` run their body; whatever is dropped is reported by line."""

import ast

import pytest

from gradcheck.sandbox.child.notebook import prepare_cell


def run(source: str) -> tuple[dict, list[tuple[int, str]]]:
    code, dropped = prepare_cell(source)
    namespace: dict = {}
    exec(compile(code, "cell", "exec"), namespace)
    return namespace, dropped


def test_continuation_lines_inside_brackets_are_code():
    namespace, dropped = run("x = (3\n % 2)\ny = [1,\n '%r' % 2]\nz = 1 + \\\n 2\n")
    assert namespace["x"] == 1 and namespace["y"] == [1, "2"] and namespace["z"] == 3
    assert dropped == []


def test_strings_holding_percent_or_bang_are_code():
    source = 's = """\n%d items\n!important\n"""\nt = \'%s\' % 5\nu = "!ls"\n'
    namespace, dropped = run(source)
    assert namespace["s"] == "\n%d items\n!important\n"
    assert namespace["t"] == "5" and namespace["u"] == "!ls"
    assert dropped == []


def test_line_magics_and_shell_escapes_drop_only_their_line():
    source = ("%matplotlib inline\n"
              "import math\n"
              "!pip install torch\n"
              "files = !ls -l\n"
              "t = %timeit -o math.sqrt(2)\n"
              "math.sqrt?\n"
              "??math\n"
              "value = math.sqrt(4)\n"
              "if value > 1:\n"
              "    %time big = True\n"
              "    !echo 'unbalanced\n"
              "    n = value != 3\n")
    namespace, dropped = run(source)
    assert namespace["value"] == 2.0 and namespace["n"] is True
    assert "files" not in namespace and "t" not in namespace and "big" not in namespace
    assert [line for line, _ in dropped] == [1, 3, 4, 5, 6, 7, 10, 11]
    assert dropped[0] == (1, "%matplotlib inline")


def test_shell_escape_continued_with_backslash_drops_the_continuation():
    namespace, dropped = run("!echo a \\\n  b\nx = 1\n")
    assert namespace["x"] == 1
    assert [line for line, _ in dropped] == [1, 2]


def test_comparisons_and_augmented_assignments_are_not_magics():
    namespace, dropped = run("a = 7\na %= 4\nb = a == 3\nc = (a != 3)\nd = {'k': 1}\n")
    assert namespace["a"] == 3 and namespace["b"] is True and namespace["c"] is False
    assert dropped == []


@pytest.mark.parametrize("magic", ["%%time", "%%capture", "%%capture out --no-stderr",
                                   "\n  %%time"])
def test_timing_and_capturing_cell_magics_run_their_body(magic):
    namespace, dropped = run(f"{magic}\ndef f(x):\n    return 2 * x\n%matplotlib inline\n")
    assert namespace["f"](2) == 4
    assert [line for line, _ in dropped] == [magic.count("\n") + 4]


def test_other_cell_magics_drop_the_whole_cell():
    code, dropped = prepare_cell("%%bash\necho hi\nls\n")
    assert not code.strip()
    assert [line for line, _ in dropped] == [1, 2, 3]


def test_line_numbers_are_kept():
    code, _ = prepare_cell("%matplotlib inline\n\ndef f(x):\n    return x\n")
    tree = ast.parse(code)
    assert [n.lineno for n in tree.body if isinstance(n, ast.FunctionDef)] == [3]


def test_an_indented_cell_runs_like_ipython():
    namespace, dropped = run("    x = 1\n    y = x + 1\n")
    assert namespace["y"] == 2 and dropped == []


def test_ordinary_python_is_unchanged():
    source = "def f(x):\n    return x % 2  # 100% sure!\n\nprint(f(3))\n"
    code, dropped = prepare_cell(source)
    assert code == source and dropped == []


def test_autocall_escapes_are_the_calls_ipython_makes():
    namespace, dropped = run("def f(*a):\n    return a\nx = 1\n/f x 2\n,f a b\n;f a b\n")
    assert dropped == []
    code, _ = prepare_cell("/f x 2\n,f a b\n;f a b\n")
    assert code == "f(x, 2)\nf('a', 'b')\nf('a b')\n"
