"""Full Jacobians, one column (input entry) at a time: a short ladder that stops as soon as it
has settled, and what to try where it has not.

Per entry ``x_i``, in order, each step only when the previous ones did not settle:

1. a *short ladder*: central differences at ``h = ½ s · 4⁻ᵏ`` (``s = |x_i|`` below 1, else 1),
   k = 0 … 4, two Richardson windows compared after each step; it stops when they agree to
   ``SHORT_RTOL`` of the column's largest entry (8–10 evaluations on smooth functions);
2. the full two-scale ladders of :mod:`gradcheck.numeric.differences` (the evaluations of
   step 1 that fall on them are reused);
3. up to ``EXTENSIONS`` longer ladders below the smallest step, while the most local windows
   have not settled (a pole or an edge of the domain closer than the smallest step:
   ``tan`` 1e-4 below π/2, ``sqrt(1 - x²)`` 1e-6 below 1);
4. one-sided ladders that stay on one side of ``x`` (inside the domain, when ``f`` is not
   finite on the other side);
5. the complex step ``Im f(x + i h eᵢ) / h`` when ``f`` accepts complex input, taken only
   where it agrees with what the finite differences saw.

An entry where none settles is NaN with error ``inf``: no verdict can rest on it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from gradcheck.errors import UsageError
from gradcheck.numeric.differences import (
    ARITHMETIC,
    CONVERGED,
    EPS,
    NOISE,
    TINY,
    Estimate,
    _along,
    _best,
    _Counter,
    _ladders,
    _options,
    _reference,
    _weights,
    _windows,
)

__all__ = ["SHORT_RTOL", "jacobian"]

SHORT_RATIO, SHORT_STEPS = 4.0, 5   # the short ladder: steps ½ s · 4^-k, k = 0 … 4
SHORT_RTOL = 1e-9   # it stops when two windows agree to this share of the column's scale
EXTENSIONS = 2      # longer ladders below the smallest step while the most local do not settle
SMALLEST = 1e-15    # no step below this share of max(|x_i|, 1): rounding only
COMPLEX_STEPS = (1e-20, 1e-8)   # complex steps, relative to max(|x_i|, 1)


def jacobian(f: Callable[[Any], Any], x: Any, *, base_step: float | None = None,
             step_ratio: float | None = None, num_steps: int | None = None,
             terms: int | None = None, rounding: float | None = None,
             value: Any = None, cache: dict | None = None) -> Estimate:
    """The Jacobian of ``f`` at ``x`` in layout ``f(x).shape + x.shape``, with error estimates.

    ``f`` takes an array shaped like ``x`` (a ``numpy.float64`` scalar when ``x`` is 0-d) and
    returns anything array-like. It is always called on a fresh float64 copy. ``value``:
    ``f(x)`` when the caller has it already (one evaluation fewer). ``cache``: a dict that
    receives every evaluation, keyed ``(flat index i, offset t)`` (the diagnosis of a wrong
    answer reuses them, see :class:`gradcheck.numeric.QuotientModel`). Options (of the full
    ladders) default to ``DEFAULTS["jacobian"]``. Cost: 8–10 evaluations per entry where
    ``f`` is smooth at the scale of ``x``; 30–60 where the short ladder does not settle, and
    up to about 200 at points next to a pole or an edge of the domain.

    >>> import numpy as np
    >>> est = jacobian(np.log, np.array([1e-9, 2.0]))
    >>> bool(np.allclose(np.diag(est.value), [1e9, 0.5], rtol=1e-11))
    True
    >>> est = jacobian(np.tan, np.pi / 2 - 1e-6)       # a pole 1e-6 away
    >>> bool(abs(est.value / np.cos(np.pi / 2 - 1e-6) ** -2 - 1) < 1e-8)
    True
    """
    opts = _options("jacobian", dict(base_step=base_step, step_ratio=step_ratio,
                                     num_steps=num_steps, terms=terms, rounding=rounding))
    x = np.array(x, dtype=np.float64)  # a copy
    if not np.all(np.isfinite(x)):
        raise UsageError("x must be finite")
    flat = x.reshape(-1)

    def call(point: np.ndarray) -> Any:
        return f(point.reshape(x.shape) if x.ndim else point[0])

    with np.errstate(all="ignore"):
        f0, opts, eps = _reference(call(flat.copy()) if value is None else value, opts)
        counter = _Counter(call, f0.size, f0.shape)
        values = np.empty((f0.size, flat.size))
        errors = np.empty((f0.size, flat.size))
        for i, xi in enumerate(flat):
            def at(t: float, i: int = i, xi: float = xi) -> tuple[np.ndarray, float]:
                point = flat.copy()
                point[i] = xi + t
                offset = point[i] - xi  # before f sees (and perhaps changes) the point
                out = counter(point)
                if cache is not None:
                    cache[(i, float(t))] = out
                return out, offset

            def twisted(t: float, i: int = i) -> np.ndarray | None:
                counter.calls += 1
                return _complex(call, flat, i, t, f0)

            values[:, i], errors[:, i] = column(at, float(xi), f0.reshape(-1), opts, eps,
                                                twisted)
    shape = f0.shape + x.shape
    return Estimate(values.reshape(shape), errors.reshape(shape),
                    counter.calls + (value is None))


def column(at: Callable[[float], tuple[np.ndarray, float]], xi: float, f0: np.ndarray,
           opts: dict[str, float], eps: float,
           twisted: Callable[[float], np.ndarray | None] | None = None
           ) -> tuple[np.ndarray, np.ndarray]:
    """Value and error of one column, ``d f / d x_i``, by the strategies of the module
    docstring. ``at(t)``: flat ``f`` at ``x + t eᵢ`` and the offset really taken;
    ``twisted(h)``: flat complex ``f(x + i h eᵢ)`` or None."""
    memo: dict[float, tuple[np.ndarray, float]] = {}

    def cached(t: float) -> tuple[np.ndarray, float]:
        key = float(t)
        if key not in memo:
            memo[key] = at(key)
        return memo[key]

    spread = (eps if eps > EPS else 0.0) * abs(xi)
    short = None if eps > EPS else _short(cached, xi, opts)
    if short is not None:
        return short
    ladders = [np.asarray(s, dtype=float) for s in _ladders(abs(xi), opts)]
    value = error = settled = None
    for extension in range(EXTENSIONS + 1):
        new = _best([_along(cached, s, opts, spread) for s in ladders])
        if value is None:
            value, error, settled = new
        else:  # smaller steps decide only what the larger ones left open: their rounding
            # can exceed the model (f rounding an inner sum of 1e4), an open entry cannot
            # (steps below what f resolves inside, as x_i beside 1e4 in an inner sum, read 0
            # "at the rounding floor": they may not overturn a converged-looking value)
            looked = error <= CONVERGED * np.abs(value)
            agree = np.abs(new[0] - value) <= new[1] + error
            take = ~settled & ((new[2] & (agree | ~looked)) | ~looked)
            value, error = np.where(take, new[0], value), np.where(take, new[1], error)
            settled = settled | new[2]
        if settled.all():
            return value, error
        low = int(np.argmin([s[-1] for s in ladders]))
        if extension == EXTENSIONS or ladders[low][-1] < SMALLEST * max(abs(xi), 1.0):
            break
        more = ladders[low][-1] * opts["step_ratio"] ** -np.arange(1, opts["num_steps"] + 1)
        ladders[low] = np.concatenate([ladders[low], more])
    # a window that looks converged keeps its (honest, if large) error; the rest is open
    keep = settled | (error <= CONVERGED * np.abs(value))
    value, error = np.where(keep, value, np.nan), np.where(keep, error, np.inf)
    sided = _one_sided(cached, xi, f0, opts, spread)
    value, error = _fill(value, error, *sided)
    if twisted is not None and not np.all(np.isfinite(error)):
        value, error = _fill(value, error, *_complex_step(twisted, xi, f0, ladders, cached,
                                                          opts, spread))
    return value, error


def _fill(value: np.ndarray, error: np.ndarray, other: np.ndarray, other_error: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray]:
    missing = ~np.isfinite(error) & np.isfinite(other_error)
    return np.where(missing, other, value), np.where(missing, other_error, error)


def _short(cached: Callable[[float], tuple[np.ndarray, float]], xi: float,
           opts: dict[str, float]) -> tuple[np.ndarray, np.ndarray] | None:
    """The short ladder: value and error when two consecutive Richardson windows agree to
    ``SHORT_RTOL`` of the column's scale (or are both exactly 0), else None."""
    scale = abs(xi) if TINY <= abs(xi) < 1 else 1.0
    w = _weights(SHORT_RATIO, 2)
    diffs, noise = [], []
    for k in range(SHORT_STEPS):
        h = opts["base_step"] * scale * SHORT_RATIO ** -k
        (plus, t_plus), (minus, t_minus) = cached(h), cached(-h)
        width = t_plus - t_minus
        diffs.append((plus - minus) / width)
        noise.append(opts["rounding"] * EPS * (np.abs(plus) + np.abs(minus)) / width
                     + ARITHMETIC * EPS * np.abs(diffs[-1]))
        if not (np.all(np.isfinite(diffs[-1])) and width > 0):
            return None
        if k < 3:
            continue
        coarse, fine = (sum(w[j] * diffs[m + j] for j in range(3)) for m in (k - 3, k - 2))
        rnd = sum(abs(w[j]) * noise[k - 2 + j] for j in range(3))
        gap = np.abs(coarse - fine)
        top = float(np.max(np.abs(fine), initial=0.0))
        if np.all(gap <= NOISE * rnd) and np.all(np.abs(fine) <= gap + rnd):
            return fine, gap + rnd  # zero within rounding (or exactly)
        if top > 0.0 and np.all(gap + rnd <= SHORT_RTOL * top):
            return fine, gap + rnd
    return None


def _one_sided(cached: Callable[[float], tuple[np.ndarray, float]], xi: float, f0: np.ndarray,
               opts: dict[str, float], spread: float) -> tuple[np.ndarray, np.ndarray]:
    """Forward and backward ladders (Richardson over every power of h), each staying on its
    own side of ``x_i``: value and error where one side settles (both: they must agree)."""
    scale = abs(xi) if abs(xi) >= TINY else 1.0
    ratio, terms = opts["step_ratio"], int(opts["terms"]) + 1
    count = 2 * int(opts["num_steps"])
    steps = opts["base_step"] * min(scale, 1.0) * ratio ** -np.arange(count)
    results = []
    for side in (1.0, -1.0):
        rows, noise = [], []
        for h in steps:
            out, taken = cached(side * h)
            rows.append((out - f0) / taken)
            noise.append((opts["rounding"] * EPS * (np.abs(out) + np.abs(f0))
                          + spread * np.abs(out - f0) / abs(taken)) / abs(taken))
        if not np.any(np.isfinite(rows)):
            continue
        parts = _windows(np.array(rows), np.array(noise), steps, _weights(ratio, terms, 1))
        value, error, settled = _best([parts])
        results.append((np.where(settled, value, np.nan), np.where(settled, error, np.inf)))
    if not results:
        nan = np.full(f0.shape, np.nan)
        return nan, np.full(f0.shape, np.inf)
    if len(results) == 1:
        return results[0]
    (v1, e1), (v2, e2) = results
    agree = np.abs(v1 - v2) <= e1 + e2
    both = np.isfinite(e1) & np.isfinite(e2)
    pick = np.where(e1 <= e2, v1, v2), np.minimum(e1, e2)
    value = np.where(both, np.where(agree, pick[0], np.nan), np.where(np.isfinite(e1), v1, v2))
    error = np.where(both, np.where(agree, pick[1], np.inf), np.minimum(e1, e2))
    return value, error


def _complex(call: Callable[[np.ndarray], Any], flat: np.ndarray, i: int, h: float,
             f0: np.ndarray) -> np.ndarray | None:
    """``f(x + i h eᵢ)`` flattened, when ``f`` takes complex input and returns finite complex
    values whose real part is ``f(x)``; else None."""
    point = flat.astype(np.complex128)
    point[i] += 1j * h
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # f casting complex to real: no complex step
            out = np.asarray(call(point))
    except Exception:  # f does not take complex input: no complex step
        return None
    if out.dtype.kind != "c" or out.shape != f0.shape or not np.all(np.isfinite(out)):
        return None
    out = out.reshape(-1)
    flat0 = f0.reshape(-1)
    if not np.all(np.abs(out.real - flat0) <= 1e-8 * (np.abs(flat0) + 1e-300)):
        return None
    return out


def _complex_step(twisted: Callable[[float], np.ndarray | None], xi: float, f0: np.ndarray,
                  ladders: list[np.ndarray], cached: Callable[[float], tuple[np.ndarray, float]],
                  opts: dict[str, float], spread: float) -> tuple[np.ndarray, np.ndarray]:
    """The complex-step derivative where two complex steps agree and the value lies within
    the error bar of every finite central window of the smallest steps tried (code built on
    ``abs`` or comparisons gives a wrong complex step: the finite differences veto it)."""
    nothing = np.full(f0.size, np.nan), np.full(f0.size, np.inf)
    unit = max(abs(xi), 1.0)
    outs = [twisted(h * unit) for h in COMPLEX_STEPS]
    if any(out is None for out in outs):
        return nothing
    (fine, coarse) = (out.imag / (h * unit) for out, h in zip(outs, COMPLEX_STEPS, strict=True))
    error = 8 * EPS * np.abs(fine) + np.abs(fine - coarse) * (COMPLEX_STEPS[0]
                                                              / COMPLEX_STEPS[1]) ** 2
    smallest = min(ladders, key=lambda s: s[-1])[-int(opts["num_steps"]):]
    est, err, _, _ = _along(cached, smallest, opts, spread)
    seen = np.isfinite(err)
    if not seen.any(axis=0).all():
        return nothing
    consistent = np.all(~seen | (np.abs(est - fine) <= err + error), axis=0)
    agree = np.abs(fine - coarse) <= 1e-6 * np.abs(fine) + 1e-300
    ok = consistent & agree
    return np.where(ok, fine, np.nan), np.where(ok, error, np.inf)
