"""Hand-built SheetResults for the renderer tests, and the golden-file check.

``full_sheet()`` has every status (pass, partial credit, NaN, exception, timeout, not
implemented, node exercise, manual), a long message and hostile student output;
``load_error_sheet()`` is a submission that did not load; ``perfect_sheet()`` scores full
marks. Totals are the sums of the exercises, as the grader reports them.

Golden files live in tests/golden/. After an intended change of a renderer's output,
regenerate them with ``GRADCHECK_UPDATE_GOLDEN=1 python -m pytest tests/test_render_*.py``
and review the diff before committing.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from gradcheck.results import (
    ERROR,
    FAIL,
    MANUAL,
    NOT_IMPLEMENTED,
    PASS,
    TIMEOUT,
    CheckResult,
    ExerciseResult,
    PointResult,
    SheetResult,
)

HOSTILE_OUTPUT = (
    "debug: x = 1.0\n"
    "::error file=sheet01.py,line=1::all tests passed\n"
    "  ::add-mask::secret\n"
    "::set-output name=result::eyJmYWtlIjoxfQ==\n"
    "##[error]old-style command\n"
    "</details><script>alert(1)</script>\n"
    "| a | b |\n"
    "```` four backticks ````\n"
    "carriage\r::notice::return\n"
    "\x1b[31mred\x1b[0m and a bell\x07\n"
)

LONG_MESSAGE = ("received values are off by a constant factor 2 (perhaps the chain rule was "
                "applied twice to the inner function); " * 4).strip()


def ok(label: str = "df/dx", rel: float = 3e-10, shape: tuple[int, ...] = ()) -> CheckResult:
    return CheckResult(passed=True, code="ok", diagnosis="", max_abs_error=rel,
                       max_rel_error=rel, tolerance=1e-6, worst_index=None, expected=None,
                       received=None, expected_shape=shape, received_shape=shape, label=label)


def bad(code: str, diagnosis: str, *, rel: float, expected: float, received: float,
        index: tuple[int, ...] = (0,), shape: tuple[int, ...] = (2, 3),
        received_shape: tuple[int, ...] | None = None, label: str = "df/dx") -> CheckResult:
    return CheckResult(passed=False, code=code, diagnosis=diagnosis,
                       max_abs_error=abs(expected - received) if math.isfinite(received)
                       else math.nan, max_rel_error=rel, tolerance=1e-6, worst_index=index,
                       expected=expected, received=received, expected_shape=shape,
                       received_shape=shape if received_shape is None else received_shape,
                       label=label)


def point(status: str, inputs: dict, *checks: CheckResult, message: str = "") -> PointResult:
    return PointResult(status=status, inputs=inputs, checks=tuple(checks), message=message,
                       duration=0.004)


def exercise(id: str, title: str, points: float, score: float, status: str, *pts: PointResult,
             kind: str = "derivative", student: str = "", message: str = "",
             line_no: int | None = None, output: str = "") -> ExerciseResult:
    return ExerciseResult(id=id, title=title, kind=kind, student=student or f"d_{id}",
                          points=points, score=score, status=status, message=message,
                          checks=tuple(pts), duration=0.02 * len(pts),
                          filename="sheet01.py" if line_no else None, line_no=line_no,
                          output=output)


def _sheet(exercises: tuple[ExerciseResult, ...], **extra) -> SheetResult:
    automatic = [e for e in exercises if e.kind != MANUAL]
    return SheetResult(
        sheet="sheet01",
        title="Exercise Sheet 01 \u2014 derivatives, computational graphs, autograd",
        module="sheet01", submission="sheet01.py",
        score=math.fsum(e.score for e in automatic),
        max_score=math.fsum(e.points for e in automatic),
        manual_points=math.fsum(e.points for e in exercises if e.kind == MANUAL),
        seed=2024, spec_sha256="9f2c" + "0" * 60, gradcheck_version="0.1.0",
        exercises=exercises, duration=1.234, **extra)


def manual_exercise() -> ExerciseResult:
    return exercise("2", "Computational graph by hand (pen and paper)", 36.0, 0.0, MANUAL,
                    kind=MANUAL, student="")


def full_sheet() -> SheetResult:
    x1 = {"x": 1.0}
    e1a = exercise("1a", "f(x) = cos(x\u00b3) ln(x\u2074/11)", 2.0, 2.0, PASS,
                   *(point(PASS, {"x": v}, ok()) for v in (1.0, 0.73, 1.9, 2.2)), line_no=4)
    e1b = exercise(
        "1b", "Gaussian bump exp(-(x - mu)^2 / (2 sigma^2))", 2.0, 1.2, FAIL,
        point(PASS, {"x": 0.1, "mu": 0.0, "sigma": 1.0}, ok()),
        point(PASS, {"x": 0.4, "mu": 0.3, "sigma": 0.7}, ok()),
        point(FAIL, {"x": -1.5, "mu": 0.2, "sigma": 1.3},
              bad("sign", "sign flipped", rel=0.31, expected=0.25, received=-0.25, index=(),
                  shape=())),
        point(FAIL, {"x": 2.0, "mu": -0.5, "sigma": 0.9},
              bad("sign", "sign flipped", rel=2.0, expected=0.125, received=-0.125, index=(),
                  shape=())),
        point(PASS, {"x": 0.0, "mu": 0.1, "sigma": 1.8}, ok()),
        message="sign flipped", line_no=9)
    e1c = exercise("1c", "sigmoid'(x)", 2.0, 0.0, FAIL,
                   point(FAIL, x1, bad("nonfinite", "received NaN at entry [] (expected 0.1966)",
                                       rel=math.nan, expected=0.1966, received=math.nan,
                                       index=(), shape=())),
                   message="received NaN at entry [] (expected 0.1966)", line_no=14)
    e1d = exercise("1d", "Jacobian of (sqrt(x1^2 - x3), e^x2 cos(4 x3))", 3.0, 0.0, ERROR,
                   point(ERROR, {"x": [1.5, 0.2, 0.5]},
                         message="ZeroDivisionError: division by zero | at line 21\n"
                                 "::error::fake annotation from an exception"),
                   message="ZeroDivisionError: division by zero | at line 21\n"
                           "::error::fake annotation from an exception", line_no=18)
    e1e = exercise("1e", "Jacobian of tanh, elementwise", 2.0, 0.0, TIMEOUT,
                   point(TIMEOUT, {"x": [0.1, 0.2, 0.3, 0.4, 0.5]},
                         message="jac_1e took longer than 5 s (the limit)"),
                   message="jac_1e took longer than 5 s (the limit)", line_no=25)
    e1f = exercise("1f", "gradients of three scalar functions", 3.0, 0.0, NOT_IMPLEMENTED,
                   message="grad_1f1 is not implemented (it raises NotImplementedError)")
    e1h = exercise(
        "1h", "Jacobian of sin(Ax + b) with respect to x", 4.0, 2.0, FAIL,
        point(PASS, {"x": [0.1, 0.2, 0.3], "A": [[1.0, 2.0, 0.0], [0.5, 0.0, 1.0]],
                     "b": [0.0, 1.0]}, ok(shape=(2, 3))),
        point(FAIL, {"x": [0.3, -0.2, 0.1], "A": [[0.2, 1.0, 0.0], [0.0, 0.5, 1.0]],
                     "b": [1.0, 0.5]},
              bad("shape", "wrong shape (3, 2) \u2014 expected (2, 3); the transpose fits",
                  rel=math.inf, expected=0.98, received=0.0, index=(0, 1), shape=(2, 3),
                  received_shape=(3, 2))),
        message=LONG_MESSAGE, line_no=40)
    e3a = exercise(
        "3a", "autograd nodes: Add, Sub, Mul, Div, Square, Sqrt, Log, Sum", 8.0, 16 / 3,
        FAIL,
        point(PASS, {"a": 1.0, "b": 2.0}, ok("forward"), ok("grad a"), ok("grad b")),
        point(PASS, {"a": [1.0, 2.0], "b": [3.0, 4.0]}, ok("forward"), ok("grad a")),
        point(FAIL, {"a": 0.5, "b": 4.0}, ok("forward"),
              bad("factor", "off by a factor 2", rel=0.5, expected=0.125, received=0.25,
                  index=(), shape=(), label="Div: grad b")),
        kind="node", student="Div", message="Div.backward: off by a factor 2", line_no=60,
        output="Div.backward called\n")
    exercises = (e1a, e1b, e1c, e1d, e1e, e1f, e1h, e3a, manual_exercise())
    return _sheet(exercises, warnings=("sheet01.py imports matplotlib, which is not needed",),
                  output=HOSTILE_OUTPUT)


def load_error_sheet() -> SheetResult:
    reason = ("SyntaxError: invalid syntax (sheet01.py, line 3)\n"
              "    def d_1a(x)\n"
              "              ^")
    one_reason = "the submission did not load: SyntaxError: invalid syntax"
    exercises = tuple(
        exercise(i, t, p, 0.0, ERROR, message=one_reason)
        for i, t, p in (("1a", "f(x) = cos(x\u00b3) ln(x\u2074/11)", 2.0),
                        ("1b", "Gaussian bump", 2.0),
                        ("3a", "autograd nodes", 8.0))
    ) + (manual_exercise(),)
    return _sheet(exercises, load_error=reason)


def perfect_sheet() -> SheetResult:
    exercises = (
        exercise("1a", "f(x) = cos(x\u00b3) ln(x\u2074/11)", 2.0, 2.0, PASS,
                 point(PASS, {"x": 1.0}, ok()), line_no=4),
        exercise("1c", "sigmoid'(x)", 2.0, 2.0, PASS, point(PASS, {"x": 0.0}, ok()),
                 line_no=14),
    )
    return _sheet(exercises)


GOLDEN = Path(__file__).parent / "golden"
UPDATE_ENV = "GRADCHECK_UPDATE_GOLDEN"


def check_golden(name: str, text: str) -> None:
    """Assert ``text`` equals tests/golden/<name>; rewrite the file when UPDATE_ENV is set."""
    path = GOLDEN / name
    if os.environ.get(UPDATE_ENV) == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    assert path.exists(), f"{path} is missing; run the tests with {UPDATE_ENV}=1 to create it"
    expected = path.read_bytes().decode("utf-8")
    assert text == expected, (f"{name} differs from the golden file; if the change is "
                              f"intended, rerun with {UPDATE_ENV}=1 and review the diff")
