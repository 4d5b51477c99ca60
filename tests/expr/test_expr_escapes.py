"""Escape attempts against the expression language: every one is refused with our own error, and
nothing in them runs (a canary module, and spies on the builtins an escape would need)."""

from __future__ import annotations

import ast
import builtins
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from gradcheck import expr
from gradcheck.errors import EvaluationError, ExpressionError

CANARY = "gradcheck_escape_canary"

REJECTED_AT_PARSE = [
    # imports and builtins
    "__import__('os')", f"__import__('{CANARY}')", "__builtins__", "__builtins__['eval']",
    "open('f')", "eval('1')", "exec('1')", "compile('1', 'f', 'eval')", "globals()", "vars()",
    "locals()", "dir()", "breakpoint()", "getattr(x, 'T')", "type(x)", "print(x)",
    "import os", f"import {CANARY}",
    # attribute walks
    "().__class__.__bases__[0].__subclasses__()", "x.__class__", "x.real", "x.T.__class__",
    "x.__class__.__init__.__globals__", "(1).__class__", "[].__class__", "pi.real",
    "exp.__globals__", "sum.__module__", "exp.__call__(x)", "x.T.T.__dict__",
    # calls of anything but an allowed name
    "exp(x)(1)", "x[0](1)", "(lambda: 1)()",
    # other constructs
    "lambda: 1", "[i for i in x]", "(i for i in x)", "{i: i for i in x}", "{i for i in x}",
    "{1: 2}", "{1}", "'abc'", "b'abc'", "f'{x}'", "1j", "1e999", "x if x else x", "(y := x)",
    "*x", "x; y", "x = 1", "yield x", "await x", "x << 2", "x & y", "~x",
    "x in y", "x is y", "x and y", "not x", "True", "None", "...",
    # exponents and sizes
    "9**9**9", "2**1000", "x**(2**10)", "x**1e9", "[x]*10**9", "stack([x]*1000000000)",
    "(x,)*1000000000", "concatenate([x]*100000)",
    "x+" * 50_000 + "x", "(" * 1000 + "x" + ")" * 1000, "(" * 500 + "x" + ")" * 500,
    "-" * 1999 + "x", "exp(" * 150 + "x" + ")" * 150, "x" + "**x" * 600,
    # indices and options must be constants
    "x[__import__('os')]", "x[::__import__('os')]", "x[0.5]", "x[1/2]", "x['a']", "x[True]",
    "x[::0]", "x[x.__class__]", "sum(x, axis=__import__('os'))", "sum(x, axis=y)",
    "sum(x, keepdims=1)", "reshape(x, (2.5, 2))", "reshape(x, 'ab')", "reshape(x, (None,))",
    "conv2d(x, y, stride=True)", "pad(x, ((1, 1), 'a'))", "stack((i for i in x))",
    "concatenate(x)", "stack([])", "arange(__import__('os'))",
    # einsum's subscripts: a string literal of letters, for the operands given
    "einsum(x, y)", "einsum('ij', x, y)", "einsum('...i', x)", "einsum('ij->ii', x)",
    "einsum('i,i')", "einsum('i' + 'j', x)", "einsum(\"__import__('os')\", x)",
    # keyword arguments a function does not take
    "exp(x, axis=0)", "sum(x, out=x)", "norm(x, ord=2)", "reshape(x, shape=(3,))",
    "sum(x, **{'axis': 0})", "sum(x, 0)", "softmax(x, keepdims=True)", "stack([x], keepdims=1)",
    # names
    "_x + 1", "x.__dict__", "sum + 1",
]

REJECTED_AT_EVALUATION = [
    "reshape(x, (100000, 100000))",
    "outer(x, x)",
    "diag(x)",
    "x * reshape(x, (4000, 1))",
    "reshape(x, (4000, 1)) @ reshape(x, (1, 4000))",
    "stack([x, x, x]) < reshape(x, (4000, 1, 1))",
    "einsum('i,j->ij', x, x)",
    "einsum('i,j,k->', x, x, x)",
    "pad(x, 10**7)",
    "arange(10**8)",
    "x[reshape(arange(4000), (4000, 1)) + arange(4000) * 0]",
    "conv1d(reshape(x, (1, 1, 4000)), reshape(x, (1, 1, 4000)), pad=10**7)",
]


class Tripwires:
    """Spies on what an escape would call, armed only inside ``with tripwires:``, and a canary
    module that leaves a file behind when it is imported."""

    WATCHED_MODULES = {"os", "subprocess", "shutil", "socket", "ctypes", CANARY}

    def __init__(self, folder: Path):
        self.folder = folder
        self.ran: list[str] = []
        (folder / f"{CANARY}.py").write_text(
            "import pathlib\npathlib.Path(__file__).with_suffix('.ran').write_text('ran')\n")

    def __enter__(self) -> Tripwires:
        real_import, real_compile = builtins.__import__, builtins.compile
        self.saved = {name: getattr(builtins, name)
                      for name in ("__import__", "compile", "eval", "exec", "open", "breakpoint")}

        def spy_import(name, *args, **kwargs):
            if name.split(".")[0] in self.WATCHED_MODULES:
                self.ran.append(f"import {name}")
            return real_import(name, *args, **kwargs)

        def spy_compile(source, filename, mode, flags=0, *args, **kwargs):
            if not flags & ast.PyCF_ONLY_AST:  # ast.parse is fine; compiling to code is not
                self.ran.append(f"compile {source!r}")
            return real_compile(source, filename, mode, flags, *args, **kwargs)

        def forbidden(name):
            return lambda *args, **kwargs: self.ran.append(name)

        builtins.__import__, builtins.compile = spy_import, spy_compile
        for name in ("eval", "exec", "open", "breakpoint"):
            setattr(builtins, name, forbidden(name))
        return self

    def __exit__(self, *exc_info) -> None:
        for name, value in self.saved.items():
            setattr(builtins, name, value)

    def assert_nothing_ran(self) -> None:
        assert self.ran == []
        assert not (self.folder / f"{CANARY}.ran").exists(), "the canary module was imported"
        assert CANARY not in sys.modules


@pytest.fixture
def tripwires(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(tmp_path))
    yield Tripwires(tmp_path)
    sys.modules.pop(CANARY, None)


@pytest.mark.parametrize("text", REJECTED_AT_PARSE,
                         ids=[t if len(t) < 40 else t[:37] + "..." for t in REJECTED_AT_PARSE])
def test_escape_attempt_is_rejected_when_parsed(text, tripwires):
    for variables in (None, ["x", "y"]):
        with pytest.raises(ExpressionError) as info, tripwires:
            expr.parse(text, variables=variables)
        assert "in expression" in str(info.value)
    tripwires.assert_nothing_ran()


@pytest.mark.parametrize("text", REJECTED_AT_EVALUATION)
def test_huge_arrays_are_refused_before_they_are_allocated(text, tripwires):
    expression = expr.parse(text, variables=["x"])
    x = np.ones(4000)
    tracemalloc.start()
    try:
        with pytest.raises(EvaluationError, match="limit|cannot reshape") as info, tripwires:
            expression.evaluate({"x": x})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert repr(text) in str(info.value)
    assert peak < 2_000_000, f"{peak} bytes allocated"
    tripwires.assert_nothing_ran()


def test_the_tripwires_notice_an_escape(tripwires):
    with tripwires:
        __import__(CANARY)  # what a successful escape would do (blocked: exec is spied on)
        eval("1")
        open("f")
    assert {f"import {CANARY}", "eval", "open"} <= set(tripwires.ran)
    with pytest.raises(AssertionError):
        tripwires.assert_nothing_ran()


def test_the_canary_leaves_a_file_when_imported(tripwires):
    sys.modules.pop(CANARY, None)
    __import__(CANARY)
    assert (tripwires.folder / f"{CANARY}.ran").exists()
    with pytest.raises(AssertionError, match="canary"):
        tripwires.assert_nothing_ran()


def test_huge_inputs_are_refused(monkeypatch):
    monkeypatch.setattr("gradcheck.engine.node.MAX_ELEMENTS", 10)
    with pytest.raises(EvaluationError, match="input 'x'.*limit"):
        expr.parse("sum(x)").evaluate({"x": np.ones(11)})


@pytest.mark.parametrize("module", ["__init__.py", "grammar.py", "functions.py"])
def test_the_expression_modules_never_call_eval_exec_or_compile(module):
    source = (Path(expr.__file__).parent / module).read_text()
    called = {node.func.id for node in ast.walk(ast.parse(source))
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not called & {"eval", "exec", "compile", "__import__", "getattr", "setattr"}
