"""Verdict and diagnosis: does a received derivative match the expected one?

An entry passes when ``|received - expected| <= rtol * scale + atol + error_factor * error``
where ``scale = max|expected|`` (the scale of the whole derivative, so tiny entries beside
large ones do not fail on noise; 1 when the derivative is zero within its error) and
``error`` is the per-entry error estimate of ``expected`` (finite differences; ``None`` when
it is exact). Defaults live in ``TOLERANCES``: ``rtol`` depends on the received dtype and
sits between a float32-precision correct answer (relative error ~1e-7) and a
difference-quotient "derivative" (~1e-5 and worse).

On failure the diagnosis is the most specific that fits: wrong shape, NaN/inf, transposed,
sign flipped, constant factor, "matches a difference quotient", one row / column / entry
wrong, a zero derivative expected, close but not exact, wrong values.

>>> import numpy as np
>>> compare(np.array([1.0, 2.0]), [-1.0, -2.0]).diagnosis
'sign flipped: received is -1 x the expected derivative'
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from numbers import Real
from typing import Any

import numpy as np

from gradcheck.compare import quick
from gradcheck.compare.candidates import (
    Candidates,
    beyond_noise,
    closest_candidate,
    quotient_story,
)
from gradcheck.compare.shapes import shape_story, transpositions
from gradcheck.results import CheckResult

TOLERANCES: dict[str, Any] = {
    # relative tolerance (against max|expected|), keyed by the dtype of the received values
    "rtol": {"float16": 1e-3, "float32": 1e-6, "float64": 1e-6},
    "atol": 0.0,            # absolute tolerance added to every entry
    "error_factor": 1.0,    # multiple of the error estimate of `expected` added per entry
    "close": 1e-2,          # unexplained relative errors below this are "close but not exact"
    "candidate": 0.01,      # a difference quotient matches when this much closer than expected
    # An answer within tolerance is still a difference quotient when its relative error is
    # above "suspicious" and it equals one of the candidates this much more closely than it
    # equals the exact derivative (a forward difference with h=1e-5 can be within 1e-6).
    "suspicious": 1e-9,
    "candidate_exact": 1e-4,
    "nice": 1e-4,           # relative distance of a factor to a nice number such as 2 or 1/2
}


def default_rtol(dtype: Any) -> float:
    """The default relative tolerance for received values of this dtype.

    >>> default_rtol(np.float32), default_rtol(int)
    (1e-06, 1e-06)
    """
    table = TOLERANCES["rtol"]
    if dtype is np.float64 or dtype == np.float64:  # what the grader always receives
        return table["float64"]
    dtype = np.dtype(dtype)
    return table.get(dtype.name, table["float64"]) if dtype.kind == "f" else table["float64"]


def precision(arr: np.ndarray) -> np.dtype:
    """The precision ``arr`` was computed in: its dtype, or float32 for float64 values that
    are all float32 numbers (how a sandbox worker sends a float32 answer). A float64
    computation lands on float32 numbers only by chance, so a float32 answer is judged
    with float32's rounding without fitting difference quotients to it.

    >>> precision(np.float32([0.1, 2.0]).astype(np.float64)), precision(np.array([0.1]))
    (dtype('float32'), dtype('float64'))
    """
    if arr.dtype == np.float64 and arr.size and np.all(
            arr.astype(np.float32).astype(np.float64) == arr):
        return np.dtype(np.float32)
    return arr.dtype


def as_numeric(value: Any) -> tuple[np.ndarray | None, str]:
    """``(array, "")`` for numeric data (floats, ints, nested lists, arrays of any real
    dtype), else ``(None, reason)``. The array keeps its dtype (float32 stays float32).

    >>> as_numeric([1, 2.5])[0].dtype.name, as_numeric("1.0")[1]
    ('float64', 'received a string, not numbers')
    """
    if value is None:
        return None, "received None, not numbers (is a return statement missing?)"
    if isinstance(value, (str, bytes)):
        return None, "received a string, not numbers"
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists, objects whose __array__ fails, ...
        return None, f"received {type(value).__name__} that is not an array of numbers ({exc})"
    kind = arr.dtype.kind
    if kind == "b":
        return None, "received booleans, not numbers"
    if kind == "c":
        return None, "received complex numbers; a real derivative was expected"
    if kind in "iu":
        return arr.astype(np.float64), ""
    if kind == "O" and arr.size and all(isinstance(v, Real) and not isinstance(v, bool)
                                        for v in arr.flat):
        return arr.astype(np.float64), ""  # e.g. Fractions
    if kind != "f":
        return None, f"received {type(value).__name__} that is not an array of numbers"
    return arr, ""


def screen(expected_shape: tuple[int, ...], received: Any, *, label: str = "",
           out_ndim: int | None = None) -> tuple[np.ndarray | None, CheckResult | None]:
    """Checks of ``received`` that need no expected values: numeric, shape, finite.

    Returns ``(array, None)`` (dtype kept) when they pass, else ``(None, failing result)``.
    Used where only projections of the expected derivative are known (directional checks).

    >>> screen((2, 3), [[1.0, 2.0, 3.0]])[1].diagnosis
    'wrong shape (1, 3) — expected (2, 3)'
    """
    expected_shape = tuple(expected_shape)
    arr, problem = as_numeric(received)
    if arr is None:
        return None, failure("invalid", problem, expected_shape, None, label)
    if arr.shape != expected_shape:
        ndim = len(expected_shape) // 2 if out_ndim is None else out_ndim
        return None, failure("shape", shape_story(expected_shape, arr, ndim), expected_shape,
                           arr.shape, label)
    bad = ~np.isfinite(arr)
    if bad.any():
        return None, _nonfinite(None, arr, bad, default_rtol(arr.dtype), label)
    return arr, None


def _quiet(function: Callable) -> Callable:
    """Run ``function`` with numpy's floating-point warnings off: extreme answers (1.7e308,
    subnormals) overflow or underflow in the diagnosis, which is decided on the results."""
    @functools.wraps(function)
    def quiet(*args, **kwargs):
        with np.errstate(all="ignore"):
            return function(*args, **kwargs)
    return quiet


@_quiet
def compare(expected: Any, received: Any, *, error: Any = None, rtol: float | None = None,
            atol: float | None = None, label: str = "",
            candidates: Candidates | None = None, out_ndim: int | None = None,
            structure: bool = True) -> CheckResult:
    """Compare a received derivative with the expected one; diagnose what is wrong.

    ``error``: per-entry absolute error estimate of ``expected`` (``None`` if exact).
    ``candidates``: difference quotients the received values might be, as description ->
    array (e.g. ``{"forward difference, h=1e-05": ...}``), as ``(description, array)`` pairs
    (an iterator is consumed once and only the closest is kept, so they can be computed one
    at a time), or as a function returning either, called only when the verdict needs them.
    ``out_ndim``: how many leading axes index outputs ("rows"; the rest index inputs,
    "columns"); default half the axes. ``structure=False`` (projections J·v rather than
    Jacobian entries) skips the transposed, row, column and entry diagnoses.

    >>> import numpy as np
    >>> jac = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> compare(jac, jac.T).code, compare(jac, 2 * jac).diagnosis
    ('transposed', 'off by a constant factor 2: received = 2 x the expected derivative')
    >>> compare(jac, np.float32(jac)).passed
    True
    """
    expected = np.asarray(expected, dtype=np.float64)
    arr, problem = as_numeric(received)
    if arr is not None and error is None and arr.shape == expected.shape \
            and 0 < arr.size <= quick.SMALL:   # most answers: right, and small
        found = quick.clean_pass(
            expected, arr.astype(np.float64), default_rtol(arr.dtype) if rtol is None
            else float(rtol), TOLERANCES["atol"] if atol is None else atol,
            TOLERANCES["suspicious"], label)
        if found is not None:
            return found
    if not np.isfinite(expected).all():
        raise ValueError("expected values must be finite")
    if arr is None:
        return failure("invalid", problem, expected.shape, None, label)
    rtol = default_rtol(arr.dtype) if rtol is None else float(rtol)
    got = arr.astype(np.float64)
    error = None if error is None else np.broadcast_to(np.abs(error), expected.shape)
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    if scale == 0 or (error is not None and scale <= float(error.max())):
        scale = 1.0  # the derivative is zero (within its error): compare absolutely
    tol = np.full(expected.shape, rtol * scale + (TOLERANCES["atol"] if atol is None else atol))
    if error is not None:
        tol = tol + TOLERANCES["error_factor"] * error
    if out_ndim is None:
        out_ndim = expected.ndim // 2
    if got.shape != expected.shape:
        if got.ndim == 0 and expected.size != 1:   # a 0 for an array, say
            return failure("shape", f"wrong shape: a scalar {float(got):.6g} — expected shape "
                           f"{expected.shape}", expected.shape, (), label, received=float(got))
        story = shape_story(expected.shape, got, out_ndim,
                             lambda turned: _fits(expected, turned, tol))
        return failure("shape", story, expected.shape, got.shape, label)
    if not np.isfinite(got).all():
        return _nonfinite(expected, got, ~np.isfinite(got), rtol, label)
    diff = np.abs(got - expected)
    worst = _worst(diff / np.maximum(tol, _TINY))
    largest = float(diff.max()) if diff.size else 0.0
    details = dict(max_abs_error=largest, max_rel_error=largest / scale,
                   tolerance=float(tol[worst]) / scale if tol.size else rtol,
                   worst_index=worst,
                   expected=float(expected[worst]) if expected.size else None,
                   received=float(got[worst]) if got.size else None,
                   expected_shape=expected.shape, received_shape=got.shape, label=label)
    wrong = diff > tol
    if not wrong.any():
        match = None
        if (details["max_rel_error"] > TOLERANCES["suspicious"]
                and beyond_noise(diff, error, precision(arr), scale)):
            match = closest_candidate(expected, got, candidates, TOLERANCES["candidate_exact"],
                                       error)
        if match is None:
            return CheckResult(passed=True, code="ok", diagnosis="", **details)
        return CheckResult(passed=False, code="difference-quotient",
                           diagnosis=quotient_story(match), **details)
    code, story = _diagnose(expected, got, tol, wrong, details["max_rel_error"], candidates,
                            out_ndim if structure else None, error)
    return CheckResult(passed=False, code=code, diagnosis=story, **details)


_TINY = np.finfo(float).tiny


def _worst(ratio: np.ndarray) -> tuple[int, ...]:
    """The index of the largest entry (the first of equals), () for no entries."""
    if not ratio.size or not ratio.ndim:
        return ()
    at = int(ratio.argmax())
    return (at,) if ratio.ndim == 1 else tuple(int(i) for i in np.unravel_index(at, ratio.shape))


def failure(code: str, story: str, expected_shape: tuple[int, ...],
            received_shape: tuple[int, ...] | None = None, label: str = "",
            received: float | None = None) -> CheckResult:
    """A failing result with no values to compare (invalid answer, wrong shape, ...);
    ``received``: the one value received (a scalar where an array was expected).

    >>> failure("invalid", "df raised KeyError: 'x'", (2,)).diagnosis
    "df raised KeyError: 'x'"
    """
    return CheckResult(passed=False, code=code, diagnosis=story, max_abs_error=math.inf,
                       max_rel_error=math.inf, tolerance=math.nan, worst_index=None,
                       expected=None, received=received, expected_shape=tuple(expected_shape),
                       received_shape=received_shape, label=label)


def _nonfinite(expected: np.ndarray | None, got: np.ndarray, bad: np.ndarray, rtol: float,
               label: str) -> CheckResult:
    where = np.argwhere(bad)
    first = tuple(int(i) for i in where[0])
    kinds = " and ".join(k for k, m in (("NaN", np.isnan(got)), ("inf", np.isinf(got)))
                         if (m & bad).any())
    count = len(where)
    place = f" at {list(first)}" if got.ndim else ""
    more = f" and {count - 1} more entries" if count > 1 else ""
    return CheckResult(passed=False, code="nonfinite",
                       diagnosis=f"received {kinds}{place}{more}", max_abs_error=math.inf,
                       max_rel_error=math.inf, tolerance=rtol, worst_index=first,
                       expected=None if expected is None else float(expected[first]),
                       received=float(got[first]), expected_shape=got.shape,
                       received_shape=got.shape, label=label)


def _fits(expected: np.ndarray, candidate: np.ndarray, tol: np.ndarray) -> bool:
    return bool(np.all(np.abs(candidate - expected) <= tol))


def _diagnose(expected: np.ndarray, got: np.ndarray, tol: np.ndarray, wrong: np.ndarray,
              rel: float, candidates: Candidates | None,
              out_ndim: int | None, error: np.ndarray | None = None) -> tuple[str, str]:
    for axes in transpositions(got.shape, out_ndim) if out_ndim is not None else ():
        turned = np.transpose(got, axes)
        if turned.shape == expected.shape and _fits(expected, turned, tol):
            return "transposed", "transposed: received matches the expected derivative with " \
                                 "rows and columns swapped"
    if _fits(expected, -got, tol):
        return "sign", "sign flipped: received is -1 x the expected derivative"
    if not got.any():
        return "values", "received is zero everywhere"
    norm = float(np.vdot(expected, expected))
    significant = int(np.count_nonzero(np.abs(expected) > tol))
    factor = float(np.vdot(got, expected)) / norm if significant and norm > 0 else 1.0
    nice = _nice(factor)
    # with a single nonzero entry any value is "a factor": only name nice ones there
    telling = nice is not None or significant >= 2
    if telling and abs(factor - 1) > 0.02 and _fits(factor * expected, got, abs(factor) * tol):
        name = nice or f"{factor:.4g}"
        return "factor", f"off by a constant factor {name}: received = {name} x the " \
                         "expected derivative"
    match = closest_candidate(expected, got, candidates, TOLERANCES["candidate"], error)
    if match:
        return "difference-quotient", quotient_story(match)
    if out_ndim is not None:
        found = _where_wrong(expected, got, wrong, out_ndim)
        if found:
            return found
    if rel < TOLERANCES["close"] and not np.any(np.abs(expected) > tol):  # zero expected:
        at = np.unravel_index(int(np.argmax(np.abs(got))), got.shape)  # no constant to round
        if not got.ndim:
            return "values", f"expected a zero derivative, got {float(got[at]):.3g}"
        what = "entries" if out_ndim is not None else "projections"
        return "values", (f"expected a zero derivative (all {what} 0), got "
                          f"{float(got[at]):.3g} at {[int(i) for i in at]}")
    if rel < TOLERANCES["close"]:
        if out_ndim is None:  # projections: a few wrong entries look the same
            return "close", f"close but not exact: relative error {rel:.1e} (a few wrong " \
                            "entries, or a rounded constant such as 3.14 for π?)"
        return "close", f"close but not exact: relative error {rel:.1e} — a rounded " \
                        "constant such as 3.14 for π, or an approximation?"
    if wrong.size == 1:
        return "values", "wrong value"
    what = "entries" if out_ndim is not None else "projections"
    return "values", f"wrong values: {int(wrong.sum())} of {wrong.size} {what} differ"


def wants_candidates(result: CheckResult) -> bool:
    """Whether comparing again with difference-quotient ``candidates`` could change the
    verdict or its diagnosis (they cost evaluations of f, so they are built only then)."""
    if result.passed:
        return result.max_rel_error > TOLERANCES["suspicious"]
    return result.code in ("row", "column", "entry", "close", "values")


def _where_wrong(expected: np.ndarray, got: np.ndarray, wrong: np.ndarray,
                 out_ndim: int) -> tuple[str, str] | None:
    bad = np.argwhere(wrong)
    if len(bad) == 1 and wrong.size > 1:
        at = tuple(int(i) for i in bad[0])
        return "entry", (f"one entry is wrong: {list(at)} (expected {expected[at]:.6g}, "
                         f"got {got[at]:.6g}); all others match")
    split = out_ndim if 0 < out_ndim < expected.ndim else (1 if expected.ndim >= 2 else None)
    if split is None:
        return None
    for code, lo, hi in (("row", 0, split), ("column", split, expected.ndim)):
        lines = int(np.prod(expected.shape[lo:hi]))
        if lines > 1 and np.all(bad[:, lo:hi] == bad[0, lo:hi]):  # all in one line
            key = tuple(int(i) for i in bad[0, lo:hi])
            name = str(key[0]) if len(key) == 1 else str(list(key))
            size = wrong.size // lines
            return code, (f"{code} {name} is wrong ({len(bad)} of {size} entries); "
                          f"the other {code}s match")
    return None


def _nice(value: float) -> str | None:
    """A factor as a short exact number (2, -1/2, 2/3, π, 1/(2π)), or None."""
    close = TOLERANCES["nice"]
    if not abs(value) < 1e3:   # no nice factor is this large (nor inf, nor nan)
        return None
    for unit, suffix in ((1.0, ""), (math.pi, "π"), (1 / math.pi, "/π")):
        scaled = value / unit
        for q in (1, 2, 3, 4, 5, 6, 8, 10):
            p = round(scaled * q)
            if not 0 < abs(p) <= 16 or abs(scaled - p / q) > close * abs(scaled):
                continue
            g = math.gcd(p, q)
            p, q = p // g, q // g
            if suffix == "π":
                num = {1: "π", -1: "-π"}.get(p, f"{p}π")
                return num if q == 1 else f"{num}/{q}"
            if suffix == "/π":
                return f"{p}/π" if q == 1 else f"{p}/({q}π)"
            return str(p) if q == 1 else f"{p}/{q}"
    return None
