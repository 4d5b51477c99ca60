"""Central differences with Richardson extrapolation and an error estimate per entry (the
method is described in :mod:`gradcheck.numeric`): the step ladders and their windows, and
:func:`directional`. :mod:`gradcheck.numeric.columns` builds full Jacobians from them.
"""


from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradcheck.errors import EvaluationError, UsageError

__all__ = ["DEFAULTS", "Estimate", "directional"]

EPS = float(np.finfo(np.float64).eps)

# Every option and its default, in one place. Steps are base_step * scale * step_ratio**-k.
DEFAULTS: dict[str, dict[str, float]] = {
    "jacobian": {
        "base_step": 0.5,    # largest step, relative to the entry's scale
        "step_ratio": 2.0,   # ratio of consecutive steps
        "num_steps": 14,     # steps per ladder (the ladder spans step_ratio**(num_steps - 1))
        "terms": 2,          # Richardson terms cancelled: h**2 and h**4 -> error O(h**6)
        "rounding": 2.0,     # rounding error of one evaluation of f, in units of eps * |f|
    },
    "directional": {
        "base_step": 0.5,
        "step_ratio": 4.0,
        "num_steps": 5,
        "terms": 2,
        "rounding": 2.0,
    },
}
TINY = 1e-150  # entries smaller than this have no usable relative step
CONVERGED = 0.1  # a window looks converged when its error is below this fraction of its value
ARITHMETIC = 4.0  # rounding of the quotient's own arithmetic, in units of eps * |quotient|
RESOLVED = 1e-8  # a converged window this close counts as settled even above rounding
NOISE = 4.0  # unconverged windows agreeing within this many rounding errors: a zero derivative
VANISHING = 4  # the windows of the smallest steps, each at most half the next larger one: -> 0


@dataclass(frozen=True, eq=False)
class Estimate:
    """A finite-difference derivative with its error estimate.

    ``value`` and ``error`` share one layout (``f(x).shape + x.shape`` for :func:`jacobian`,
    ``(k,) + f(x).shape`` for :func:`directional`); ``error`` is an absolute error estimate per
    entry (``inf``, with a NaN value, where the steps did not settle). ``evaluations`` counts
    calls of ``f``.

    >>> from gradcheck.numeric import jacobian
    >>> est = jacobian(lambda x: x ** 2, 1.5)
    >>> round(float(est.value), 9), bool(est.error < 1e-9), est.evaluations
    (3.0, True, 9)
    """

    value: np.ndarray
    error: np.ndarray
    evaluations: int


def _options(kind: str, given: dict[str, Any]) -> dict[str, float]:
    opts = dict(DEFAULTS[kind])
    for key, value in given.items():
        if value is not None:
            opts[key] = value
    if opts["step_ratio"] <= 1 or opts["base_step"] <= 0:
        raise UsageError("step_ratio must be > 1 and base_step > 0")
    if int(opts["terms"]) < 1 or int(opts["num_steps"]) < int(opts["terms"]) + 2:
        raise UsageError("need terms >= 1 and num_steps >= terms + 2")
    return opts


def _ladders(magnitude: float, opts: dict[str, float]) -> list[np.ndarray]:
    """Geometric step ladders for an entry of the given magnitude: the relative one
    (``s = magnitude``) and the absolute one (``s = 1``), merged into one longer ladder when
    they overlap or nearly do, kept apart when far apart. Within one ``step_ratio`` of 1 the
    relative ladder alone serves; at 0 (below ``TINY``) the absolute one alone."""
    base, ratio, count = opts["base_step"], opts["step_ratio"], int(opts["num_steps"])
    if magnitude < TINY:
        return [base * ratio ** -np.arange(count)]
    low, high = min(magnitude, 1.0), max(magnitude, 1.0)
    if high < ratio * low:  # within one step of each other: relative only
        return [base * magnitude * ratio ** -np.arange(count)]
    extra = math.ceil(math.log(high / low, ratio))
    if extra > count:  # far apart: two separate ladders are cheaper than one long one
        return [base * s * ratio ** -np.arange(count) for s in (magnitude, 1.0)]
    return [base * high * ratio ** -np.arange(count + extra)]


def _weights(ratio: float, terms: int, power: int = 2) -> np.ndarray:
    """Richardson weights for steps 1, 1/ratio, ... cancelling h**power ... h**(power terms)
    (central differences: even powers; one-sided: ``power=1``, every power)."""
    h = ratio ** -np.arange(terms + 1, dtype=float)
    system = np.vstack([h ** (power * i) for i in range(terms + 1)])
    rhs = np.zeros(terms + 1)
    rhs[0] = 1.0
    return np.linalg.solve(system, rhs)


class _Counter:
    """Calls ``g`` on a point, returning a flat float64 array (NaN where ``g`` failed)."""

    def __init__(self, g: Callable[[Any], Any], size: int, shape: tuple[int, ...]):
        self.g, self.size, self.shape, self.calls = g, size, shape, 0

    def __call__(self, point: Any) -> np.ndarray:
        self.calls += 1
        try:
            out = np.asarray(self.g(point), dtype=np.float64)
        except (ValueError, ArithmeticError):
            return np.full(self.size, np.nan)
        if out.shape != self.shape:
            raise EvaluationError(f"f returned shape {out.shape} at a nearby point, "
                                  f"but {self.shape} at x")
        return out.reshape(-1)


def _reference(out: Any, opts: dict[str, float]) -> tuple[np.ndarray, dict[str, float], float]:
    """``f(x)`` as float64, the options, and the machine epsilon ``f`` computes in. When ``f``
    returns a lower precision (float32, float16) its rounding is counted in that precision's
    epsilon, and so is the rounding of the perturbed input (``f`` likely rounds it too)."""
    dtype = getattr(out, "dtype", None)
    eps = EPS
    if isinstance(dtype, np.dtype) and dtype.kind == "f" and dtype.itemsize < 8:
        eps = float(np.finfo(dtype).eps)
        opts = dict(opts, rounding=opts["rounding"] * eps / EPS)
    return np.asarray(out, dtype=np.float64), opts, eps


def _along(evaluate: Callable[[float], tuple[np.ndarray, float]], steps: np.ndarray,
           opts: dict[str, float], spread: float = 0.0
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Richardson estimates and their errors, one row per window of one step ladder.

    ``evaluate(t)`` returns the flat values of ``f`` at offset ``t`` and the offset actually
    taken (the rounded ``(x + t) - x``), so the difference quotient divides by the true step.
    A window's error is the larger difference to its neighbours plus the propagated rounding
    error (returned too, and so is each window's largest step); ``inf`` where ``f`` was not
    finite or no neighbour is finite. ``spread``: rounding of the perturbation per unit step
    (directional steps ``x + t v`` are rounded entry by entry, and a float32 ``f`` rounds
    ``x_i + h``), which adds ``spread * |D| / t`` of noise.
    """
    rows, noise = [], []
    for h in steps:
        (plus, t_plus), (minus, t_minus) = evaluate(h), evaluate(-h)
        width = t_plus - t_minus
        rows.append((plus - minus) / width)
        noise.append((opts["rounding"] * EPS * (np.abs(plus) + np.abs(minus))
                      + spread * np.abs(plus - minus) / (width / 2)) / width)
    return _windows(np.array(rows), np.array(noise), steps,
                    _weights(opts["step_ratio"], int(opts["terms"])))


def _windows(diffs: np.ndarray, noise_arr: np.ndarray, steps: np.ndarray, w: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Richardson windows (weights ``w``) over difference quotients ``diffs`` (one row per
    step) with their rounding ``noise_arr``: estimates, errors, rounding errors, steps."""
    terms = len(w) - 1
    windows = len(steps) - terms
    est = sum(w[j] * diffs[j:j + windows] for j in range(terms + 1))
    rnd = sum(abs(w[j]) * noise_arr[j:j + windows] for j in range(terms + 1))
    # A neighbour certifies a window only down to the neighbour's own rounding error.
    gap = np.abs(np.diff(est, axis=0))           # |E_k - E_{k+1}|, NaN if either is bad
    up = np.where(np.isfinite(gap), gap + rnd[1:], -np.inf)      # seen from window k
    down = np.where(np.isfinite(gap), gap + rnd[:-1], -np.inf)   # seen from window k + 1
    none = np.full((1,) + est.shape[1:], -np.inf)
    trunc = np.maximum(np.vstack([none, down]), np.vstack([up, none]))
    err = np.where(np.isfinite(est) & np.isfinite(trunc), trunc + rnd, np.inf)
    return est, err, rnd, np.asarray(steps[:windows], dtype=float)


def _best(ladders: list[tuple[np.ndarray, ...]]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per output entry, the window with the smallest error among the *admissible* ones that
    look converged (error below ``CONVERGED`` times the estimate). Admissible: its error
    interval meets those of all windows of smaller steps. Large steps can alias (sin at 100
    with steps near multiples of 2 pi) or reach past a kink nearby, and look converged on a
    wrong value; the most local estimates decide.

    Where no admissible window looks converged, the derivative is zero within the error of
    the best admissible window if every admissible interval contains 0, or within rounding
    noise if all windows agree to within ``NOISE`` times their rounding error (the error then
    covers their spread); otherwise the steps never reached a region where f is smooth at
    their scale, and the entry is NaN with error inf: not resolved.

    Also returned, per entry: *settled*, whether the most local estimates can be trusted:
    the chosen window has converged to ``RESOLVED`` of its value, or the window of the
    smallest finite steps is at its rounding floor, or the derivative is zero and the
    estimates show it *vanishing*: the ``VANISHING`` windows of the smallest steps each at
    most half the next larger one (``x**7`` at 0: they fall as h**6 and never converge
    relative to themselves, nor reach a rounding floor, since nothing rounds near 0).
    Otherwise (a pole or an edge of the domain closer than the smallest step) even a finite
    value may be wrong, and smaller steps are needed."""
    est, err, rnd, steps = (np.concatenate(parts) for parts in zip(*ladders, strict=True))
    order = np.argsort(steps, kind="stable")      # smallest steps first
    est, err, rnd = est[order], err[order], rnd[order]
    finite = np.isfinite(err)
    low = np.where(finite, est - err, -np.inf)
    high = np.where(finite, est + err, np.inf)
    none = np.full((1,) + est.shape[1:], np.inf)
    below_low = np.vstack([-none, np.maximum.accumulate(low, axis=0)[:-1]])
    below_high = np.vstack([none, np.minimum.accumulate(high, axis=0)[:-1]])
    admissible = finite & (high >= below_low) & (low <= below_high)
    converged = admissible & (err <= CONVERGED * np.abs(est))
    any_converged = converged.any(axis=0)
    local_zero = (~any_converged & admissible.any(axis=0)
                  & np.all(~admissible | (np.abs(est) <= err), axis=0))
    choice = np.where(any_converged, np.where(converged, err, np.inf),
                      np.where(local_zero, np.where(admissible, err, np.inf), err))
    pick = np.argmin(choice, axis=0)
    cols = np.arange(est.shape[1])
    value, error = est[pick, cols], err[pick, cols]
    spread = np.max(np.where(finite, np.abs(est - value), 0.0), axis=0)
    noise = np.max(np.where(finite, rnd, 0.0), axis=0)
    zero = ~any_converged & ~local_zero & (spread <= NOISE * noise)
    error = np.where(any_converged | local_zero, error,
                     np.where(zero, np.maximum(error, spread), np.inf))
    value = np.where(np.isfinite(error), value, np.nan)
    first = np.argmax(finite, axis=0)   # the smallest steps whose window is finite
    floor = finite.any(axis=0) & (err[first, cols] <= (2 + 2 * NOISE) * rnd[first, cols])
    resolved = any_converged & (error <= RESOLVED * np.abs(value))
    local = np.abs(est[:VANISHING])
    vanishing = (local_zero & (len(est) >= VANISHING) & np.all(finite[:VANISHING], axis=0)
                 & np.all(local[:-1] <= 0.5 * local[1:], axis=0))
    return value, error, np.isfinite(error) & (resolved | floor | vanishing)


def directional(f: Callable[[Any], Any], x: Any, directions: Any, *,
                base_step: float | None = None, step_ratio: float | None = None,
                num_steps: int | None = None, terms: int | None = None,
                rounding: float | None = None) -> Estimate:
    """Directional derivatives ``J @ v`` for each ``v`` in ``directions`` (shape
    ``(k,) + x.shape``).

    Each is the derivative of ``t -> f(x + t v)`` at 0, by the same Richardson ladders as
    :func:`jacobian`, with steps scaled by the root-mean-square of ``x`` (and by 1 as well
    when that is far from it) and divided by ``max|v|``. When ``f`` is not finite at some of
    those steps (log or sqrt of entries pushed across 0), one more ladder is tried whose steps
    move no nonzero entry by more than half its magnitude. Cost: ``O(k * num_steps)``
    evaluations of ``f`` whatever the size of ``x``. Result layout ``(k,) + f(x).shape``.
    Options default to ``DEFAULTS["directional"]``.

    >>> import numpy as np
    >>> x = np.linspace(0.5, 1.5, 1000)
    >>> from gradcheck.numeric.probes import random_directions
    >>> v = random_directions(x.shape, 2, seed=0)
    >>> est = directional(lambda z: np.sum(np.sin(z)), x, v)
    >>> bool(np.allclose(est.value, v @ np.cos(x), rtol=1e-9))
    True
    """
    opts = _options("directional", dict(base_step=base_step, step_ratio=step_ratio,
                                        num_steps=num_steps, terms=terms, rounding=rounding))
    x = np.array(x, dtype=np.float64)
    directions = np.asarray(directions, dtype=np.float64)
    if directions.shape[1:] != x.shape:
        raise UsageError(f"directions must have shape (k,) + {x.shape}, "
                         f"not {directions.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(directions))):
        raise UsageError("x and directions must be finite")
    magnitude = float(np.sqrt(np.mean(x * x))) if x.size else 0.0
    ladders = _ladders(magnitude, opts)

    def call(point: np.ndarray) -> Any:
        return f(point if point.ndim else np.float64(point))

    with np.errstate(all="ignore"):
        f0, opts, eps = _reference(call(x.copy()), opts)
        counter = _Counter(call, f0.size, f0.shape)
        values, errors = [], []
        for v in directions:
            length = float(np.max(np.abs(v))) if v.size else 0.0
            if length == 0.0:
                values.append(np.zeros(f0.size))
                errors.append(np.zeros(f0.size))
                continue

            def at(t: float, v: np.ndarray = v) -> tuple[np.ndarray, float]:
                return counter(x + t * v), t

            spread = eps * magnitude / float(np.sqrt(np.mean(v * v)))
            parts = [_along(at, steps / length, opts, spread) for steps in ladders]
            if not all(np.all(np.isfinite(part[0])) for part in parts):
                safe = _inside_steps(x, v, opts)  # f not finite somewhere: near its domain's edge?
                if safe is not None and safe[0] < max(float(s[0]) for s in ladders) / length:
                    parts.append(_along(at, safe, opts, spread))
            val, err, _ = _best(parts)
            values.append(val)
            errors.append(err)
    shape = (len(directions),) + f0.shape
    return Estimate(np.array(values).reshape(shape), np.array(errors).reshape(shape),
                    counter.calls + 1)


def _inside_steps(x: np.ndarray, v: np.ndarray, opts: dict[str, float]) -> np.ndarray | None:
    """A step ladder along ``v`` that moves no nonzero entry of ``x`` by more than
    ``base_step`` times its magnitude, so never across 0 (log, sqrt); None if all are 0."""
    moving = (x != 0) & (v != 0)
    if not moving.any():
        return None
    top = opts["base_step"] * float(np.min(np.abs(x[moving]) / np.abs(v[moving])))
    return top * opts["step_ratio"] ** -np.arange(int(opts["num_steps"]))
