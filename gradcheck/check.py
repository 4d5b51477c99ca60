"""The public gradient checker: is my derivative of plain numpy code right?

``check(f, df, *args)`` compares the claimed derivative ``df(*args)`` of ``f`` with respect
to ``args[wrt]`` (layout ``f.shape + x.shape``) with finite differences
(:func:`gradcheck.numeric.jacobian`), the tolerance coming from their error estimates.
``check_vjp(f, vjp, *args)`` checks a backward function (vector-Jacobian product) with
seeded random upstream gradients. Both return a :class:`~gradcheck.results.CheckResult`.

For inputs with more than ``DIRECTIONAL_SIZE`` entries the comparison runs along a few seeded
random directions ``v`` (``J @ v`` by finite differences against the claim contracted with
``v``): ``O(probes)`` evaluations of ``f`` instead of ``O(x.size)``. See docs/checking.md for
what that mode cannot see.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import sys
import types
from collections.abc import Callable
from numbers import Real
from typing import Any

import numpy as np

from gradcheck import numeric
from gradcheck.compare import as_numeric, compare, default_rtol, failure, screen
from gradcheck.errors import EvaluationError, StudentCodeError, UsageError
from gradcheck.results import CheckResult

MODES = ("auto", "full", "directional")
UNDECIDED, NOT_DIFFERENTIABLE = "undecided", "not-differentiable"   # results, not a verdict
DIRECTIONAL_SIZE = 2_000  # "auto": directional above this many entries (full: ~30 f calls each)
MAX_ATOL = 1e6            # the largest absolute tolerance, as in a spec (spec/bounds.py)


def check(f: Callable[..., Any], df: Callable[..., Any], *args: Any, wrt: int = 0,
          rtol: float | None = None, mode: str = "auto", probes: int = 5,
          seed: int = 0, atol: float | None = None) -> CheckResult:
    """Check that ``df(*args)`` is the derivative of ``f`` with respect to ``args[wrt]``.

    ``f`` may return a scalar or an array; ``df`` returns floats, lists or arrays (float32
    too) in layout ``f(*args).shape + args[wrt].shape``. ``args[wrt]`` (a float, list or
    array) is passed as a float64 array (0-d: ``numpy.float64``); the other arguments as
    given (integer index arrays stay integers), each call on fresh copies. An exception in
    ``df`` is a failing result (code ``"invalid"``); one in ``f`` propagates. Where there is
    nothing to check against, the result says so (``passed`` False): code
    ``"not-differentiable"`` at a kink (see :func:`gradcheck.numeric.kink`), ``"undecided"``
    where ``f`` is not finite or no finite difference settles (the diagnosis names the entry
    and what to try).

    ``mode``: ``"full"`` (every entry, by finite differences), ``"directional"`` (``probes``
    seeded random directions) or ``"auto"`` (directional above ``DIRECTIONAL_SIZE`` entries).
    ``rtol`` (above 0, at most 1; default by dtype) and ``atol`` (0 to ``MAX_ATOL``; default
    0) widen the tolerance (see :func:`gradcheck.compare.compare`). A ``df`` that runs
    elsewhere (a sandbox worker) may raise :class:`~gradcheck.errors.StudentCodeError`: its
    message is the failing result's diagnosis, and a timeout propagates.

    >>> import numpy as np
    >>> check(np.sin, np.cos, 0.5).passed
    True
    >>> result = check(lambda x: x @ x, lambda x: -2 * x, [1.0, 2.0])
    >>> result.code, result.diagnosis
    ('sign', 'sign flipped: received is -1 x the expected derivative')
    """
    values, x, label, wrt = _prepare(f, args, wrt, mode, probes, rtol, atol)
    g = _partial(f, values, wrt)
    raw, f0 = _reference_value(g, x)
    shape = f0.shape + x.shape
    problem = _undecidable(f0, shape, label)
    if problem is None:
        problem = _differentiable(g, x, raw, seed, shape, label, _name(f, "f"))
    if problem is not None:
        return problem
    received, failure = _call_derivative(df, values, label, shape)
    if failure is not None:
        return failure
    if _directional(mode, x):
        return _check_directional(g, x, raw, received, label, rtol, probes, seed, atol)
    kept: dict = {}   # the evaluations of f, for the diagnosis of a wrong answer
    est = numeric.jacobian(g, x, value=raw, cache=kept)
    unsettled = _unsettled(est, x, raw, shape, label, f0.ndim)
    if unsettled is not None:
        return unsettled
    return compare(est.value, received, error=est.error, rtol=rtol, atol=atol, label=label,
                   out_ndim=f0.ndim, candidates=numeric.QuotientModel(g, x, raw, kept))


def check_vjp(f: Callable[..., Any], vjp: Callable[..., Any], *args: Any, wrt: int = 0,
              rtol: float | None = None, mode: str = "auto", probes: int = 3,
              seed: int = 0, atol: float | None = None) -> CheckResult:
    """Check a backward function: ``vjp(u, *args)`` must be the gradient of ``<u, f(*args)>``
    with respect to ``args[wrt]``, for any upstream gradient ``u`` shaped like ``f(*args)``.

    If ``vjp`` returns a tuple (or list) with one gradient per argument, element ``wrt`` is
    checked. ``probes`` seeded random upstream gradients are tried against one
    finite-difference Jacobian (or, in directional mode, seeded random directions); the
    worst result is returned, a failing one if any fails. ``rtol`` and ``atol`` as in
    :func:`check`.

    >>> import numpy as np
    >>> mul = lambda a, b: a * b
    >>> check_vjp(mul, lambda u, a, b: (u * b, u * a), [1.0, 2.0], [3.0, -1.0]).passed
    True
    >>> check_vjp(mul, lambda u, a, b: (u * a, u * b), [1.0, 2.0], [3.0, -1.0]).passed
    False
    """
    values, x, label, wrt = _prepare(f, args, wrt, mode, probes, rtol, atol)
    label = f"backward of {label}"
    g = _partial(f, values, wrt)
    raw, f0 = _reference_value(g, x)
    problem = _undecidable(f0, x.shape, label)
    if problem is None:
        problem = _differentiable(g, x, raw, seed, x.shape, label, _name(f, "f"))
    if problem is not None:
        return problem
    upstream = numeric.probe_generator(seed + 1).standard_normal((probes,) + f0.shape)
    if _directional(mode, x):
        directions = numeric.random_directions(x.shape, probes, seed)
        est = numeric.directional(g, x, directions)
    else:
        est = numeric.jacobian(g, x, value=raw)
    unsettled = _unsettled(est, x, raw, x.shape, label, None if _directional(mode, x) else
                           f0.ndim)
    if unsettled is not None:
        return unsettled
    results, answers = [], []
    for k, u in enumerate(upstream):
        name = f"{label}, upstream gradient {k + 1} of {probes}"
        received, failure = _call_derivative(
            lambda *a, u=u: _pick(vjp(_scalar(u), *a), len(values), wrt, x.shape),
            values, name, x.shape, name=_name(vjp, "the backward function"))
        if failure is None:
            answers.append(as_numeric(received)[0])
        if failure is None and _directional(mode, x):
            failure = _vjp_directional(est, k, u, directions[k], received, name, rtol, atol)
        elif failure is None:
            axes = (tuple(range(f0.ndim)), tuple(range(f0.ndim)))
            expected = np.tensordot(u, est.value, axes=axes)
            error = np.tensordot(np.abs(u), est.error, axes=axes)
            failure = compare(expected, received, error=error, rtol=rtol, atol=atol, label=name,
                              out_ndim=0)
        results.append(failure)
    failed = [r for r in results if not r.passed]
    if not failed:
        return max(results, key=lambda r: r.max_rel_error)
    if len(answers) == probes > 1 and all(a is not None and np.array_equal(answers[0], a)
                                          for a in answers):
        return dataclasses.replace(failed[0], code="values", diagnosis="ignores the upstream "
                                   "gradient: the same result for every grad_output")
    return max(failed, key=lambda r: r.max_rel_error)


def _prepare(f: Callable[..., Any], args: tuple[Any, ...], wrt: int, mode: str,
             probes: int, rtol: float | None, atol: float | None
             ) -> tuple[list[Any], np.ndarray, str, int]:
    if rtol is not None and not (isinstance(rtol, Real) and 0 < rtol <= 1):
        raise UsageError(f"rtol must be above 0 and at most 1, not {rtol!r}")
    if atol is not None and not (isinstance(atol, Real) and 0 <= atol <= MAX_ATOL):
        raise UsageError(f"atol must be from 0 to {MAX_ATOL:g}, not {atol!r}")
    if mode not in MODES:
        raise UsageError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if probes < 1:
        raise UsageError(f"probes must be at least 1, not {probes}")
    if not args:
        raise UsageError("give the point to check at: check(f, df, x)")
    if not -len(args) <= wrt < len(args):
        raise UsageError(f"wrt={wrt} but only {len(args)} argument(s) given")
    wrt %= len(args)
    values = list(args)
    values[wrt] = _as_input(args[wrt])
    if not isinstance(values[wrt], (np.ndarray, np.floating)):
        raise UsageError(f"argument {wrt} is not numeric: {type(args[wrt]).__name__}")
    x = np.array(values[wrt], dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise UsageError(f"argument {wrt} is not finite")
    return values, x, _label(f, wrt, len(args)), wrt


def _as_input(value: Any) -> Any:
    """Numbers, lists of numbers and real arrays become float64 (0-d: numpy.float64): the
    argument ``x`` that is differentiated (the others are passed as given)."""
    if isinstance(value, bool) or not isinstance(value, (Real, list, tuple, np.ndarray)):
        return value
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        return value
    return arr[()] if arr.ndim == 0 else arr


def _name(function: Any, default: str) -> str:
    name = getattr(function, "__name__", "")
    return name if isinstance(name, str) and name.isidentifier() else default


def _label(f: Callable[..., Any], wrt: int, nargs: int) -> str:
    name = _name(f, "f")
    try:
        params = [p.name for p in inspect.signature(f).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    arg = params[wrt] if wrt < len(params) else ("x" if nargs == 1 else f"args[{wrt}]")
    return f"d{name}/d{arg}"


def _fresh(value: Any) -> Any:
    """A copy of an argument for one call (arrays and containers), so that a function that
    modifies its arguments cannot change later calls; other objects as they are."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, dict, set)):
        try:
            return copy.deepcopy(value)
        except Exception:  # objects that cannot be copied are passed as they are
            return value
    return value


def _partial(f: Callable[..., Any], values: list[Any], wrt: int) -> Callable[[Any], Any]:
    def g(x: Any) -> Any:
        others = [_fresh(v) for v in values[:wrt]], [_fresh(v) for v in values[wrt + 1:]]
        return f(*others[0], x, *others[1])
    return g


def _reference_value(g: Callable[[Any], Any], x: np.ndarray) -> tuple[Any, np.ndarray]:
    """``f(x)`` as returned (its dtype tells the precision f computes in) and as float64."""
    with np.errstate(all="ignore"):
        out = g(x.copy() if x.ndim else x[()])
    try:
        return out, np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise EvaluationError(f"f returned {type(out).__name__}, not numbers: {exc}") from exc


def _undecidable(f0: np.ndarray, shape: tuple[int, ...], label: str) -> CheckResult | None:
    if np.all(np.isfinite(f0)):
        return None
    return failure(UNDECIDED, "cannot decide at this point: f is not finite here; check at "
                   "a point inside its domain", shape, label=label)


def _differentiable(g: Callable[[Any], Any], x: np.ndarray, raw: Any, seed: int,
                    shape: tuple[int, ...], label: str, name: str = "f") -> CheckResult | None:
    direction = numeric.random_directions(x.shape, 1, seed)[0]
    if not x.size or not numeric.kink(g, x, direction, value=raw):
        return None
    near = numeric.KINK_STEPS[-1]
    return failure(NOT_DIFFERENTIABLE, f"{name} is not differentiable at this point (or within "
                   f"{near:.0e} of it, relative to each entry): its one-sided slopes differ "
                   "by more than their error allows (a kink, like abs and relu at 0), so "
                   f"there is no derivative to check; check at a point where {name} is "
                   "smooth", shape, label=label)


def _unsettled(est: numeric.Estimate, x: np.ndarray, raw: Any, shape: tuple[int, ...],
               label: str, out_ndim: int | None) -> CheckResult | None:
    """A "cannot decide" result when the finite differences did not settle somewhere."""
    bad = ~np.isfinite(est.value)
    if not bad.any():
        return None
    precision = getattr(raw, "dtype", None)
    low = isinstance(precision, np.dtype) and precision.kind == "f" and precision.itemsize < 8
    hint = "try another point" + (", or compute f in float64 (it returns "
                                  f"{precision.name})" if low else "")
    if out_ndim is None:  # directional: the probes, not entries
        where = "along a random direction"
    else:
        entry = tuple(int(i) for i in np.argwhere(bad)[0][out_ndim:])
        value = float(x[entry]) if x.ndim else float(x)
        where = (f"for entry {list(entry)} of x (= {value:.6g})" if x.ndim
                 else f"at x = {value:.6g}")
    return failure(UNDECIDED, f"cannot decide at this point: the finite differences {where} "
                   "do not settle at any step down to 1e-15 of its scale, one-sided or "
                   "complex (f is not smooth there at any scale it resolves: an infinite "
                   f"slope, a discontinuity, or rounding noise above its change); {hint}",
                   shape, label=label)
def _call_derivative(df: Callable[..., Any], values: list[Any], label: str,
                     shape: tuple[int, ...], name: str | None = None
                     ) -> tuple[Any, CheckResult | None]:
    copies = [_fresh(v) for v in values]
    try:
        with np.errstate(all="ignore"):
            return df(*copies), None
    except StudentCodeError as exc:   # in a worker: the message names df and the line
        if exc.status == "timeout":
            raise
        return None, failure("invalid", str(exc), shape, label=label)
    except Exception as exc:
        name = name or _name(df, "the derivative")
        return None, failure("invalid", f"{name} raised {type(exc).__name__}: {exc}", shape,
                             label=label)


def _directional(mode: str, x: np.ndarray) -> bool:
    return mode == "directional" or (mode == "auto" and x.size > DIRECTIONAL_SIZE)


def _check_directional(g: Callable[[Any], Any], x: np.ndarray, raw: Any, received: Any,
                       label: str, rtol: float | None, probes: int, seed: int,
                       atol: float | None = None) -> CheckResult:
    f0 = np.asarray(raw, dtype=np.float64)
    label = f"{label} along {probes} random directions"
    arr, failure = screen(f0.shape + x.shape, received, label=label, out_ndim=f0.ndim)
    if failure is not None:
        return failure
    directions = numeric.random_directions(x.shape, probes, seed)
    claimed = arr.astype(np.float64).reshape(f0.size, x.size)
    projected = (directions.reshape(probes, x.size) @ claimed.T).reshape((probes,) + f0.shape)
    est = numeric.directional(g, x, directions)
    unsettled = _unsettled(est, x, raw, f0.shape + x.shape, label, None)
    if unsettled is not None:
        return unsettled
    rtol = default_rtol(arr.dtype) if rtol is None else rtol
    return compare(est.value, projected, error=est.error, rtol=rtol, atol=atol, label=label,
                   structure=False)


def _vjp_directional(est: numeric.Estimate, k: int, u: np.ndarray, v: np.ndarray,
                     received: Any, label: str, rtol: float | None,
                     atol: float | None = None) -> CheckResult:
    arr, failure = screen(v.shape, received, label=label, out_ndim=0)
    if failure is not None:
        return failure
    expected = np.vdot(u, est.value[k])
    error = np.vdot(np.abs(u), est.error[k])
    got = np.vdot(arr.astype(np.float64), v)
    rtol = default_rtol(arr.dtype) if rtol is None else rtol
    return compare(expected, got, error=error, rtol=rtol, atol=atol, label=f"{label} (along a "
                   "random direction)", structure=False)


def _pick(result: Any, nargs: int, wrt: int, shape: tuple[int, ...]) -> Any:
    """Element ``wrt`` when a backward returns one gradient per argument."""
    if isinstance(result, tuple) and len(result) == nargs:
        return result[wrt]
    if isinstance(result, list) and nargs > 1 and len(result) == nargs:
        try:
            stacked = np.shape(result)
        except ValueError:  # ragged: one gradient per argument, of different shapes
            return result[wrt]
        if stacked != shape:
            return result[wrt]
    return result


def _scalar(u: np.ndarray) -> Any:
    return u.copy() if u.ndim else u[()]


class _CallableModule(types.ModuleType):
    """``gradcheck.check`` is both this module and the function: importing the submodule
    makes the package attribute ``check`` the module, so calling it must still check."""

    def __call__(self, *args: Any, **kwargs: Any) -> CheckResult:
        return check(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
