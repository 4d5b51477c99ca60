"""Probes at a point: is ``f`` kinked there (:func:`kink`), and the seeded random directions
and upstream gradients that checks project onto (:func:`random_directions`,
:func:`probe_generator`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradcheck.numeric.differences import DEFAULTS, _Counter, _reference

__all__ = ["KINK_RTOL", "KINK_STEPS", "kink", "probe_generator", "random_directions"]

PROBE_STREAM = 0x67726164  # mixed into probe seeds: probes differ from data drawn with the seed
KINK_STEPS = (1e-3, 1e-4, 1e-5)  # one-sided steps (times each entry's scale) of the kink test
KINK_RTOL = 1e-4  # a jump between the one-sided slopes above this share of them is a kink


def kink(f: Callable[[Any], Any], x: Any, direction: Any, *, value: Any = None) -> bool:
    """Whether the one-sided slopes of ``f`` along ``direction`` jump at ``x`` (``abs`` or
    ``relu`` at 0): a point where ``f`` is not differentiable, which central differences
    cannot see when ``f`` is symmetric there.

    Each entry steps on its own scale, ``min(|x_i|, 1)`` (1 where ``x_i = 0``): a weight of
    1e-4 beside one of 400 is not moved thousands of times its size, and entries near 1e4
    step by 1e-3 … 1e-5, not by 10. The error model of the jump between the forward and
    the backward difference: where ``f`` is smooth it shrinks with the step (as ``h f''``),
    where rounding dominates it grows as ``1 / h`` (the noise term, in the epsilon of the
    dtype ``f`` returns); a kink keeps it the same. So a kink is a jump above ``KINK_RTOL``
    of the slopes and above the noise that keeps its size, within a factor 2, over the
    ``KINK_STEPS`` (a smooth jump falls tenfold per step). A random direction crosses any
    kink through ``x`` (almost surely). Where ``f`` is not finite (or raises
    ``ValueError``/``ArithmeticError``) next to ``x`` the answer is False: that is for the
    finite differences to report. ``value``: ``f(x)`` if the caller has it.

    >>> import numpy as np
    >>> kink(np.abs, np.array([0.0, 1.0]), np.array([0.3, -0.8]))
    True
    >>> kink(np.abs, np.array([0.5, 1.0]), np.array([0.3, -0.8]))
    False
    """
    x = np.array(x, dtype=np.float64)
    d = np.asarray(direction, dtype=np.float64)
    d = d / max(float(np.max(np.abs(d))) if d.size else 0.0, np.finfo(float).tiny)
    d = d * np.where(x != 0, np.minimum(np.abs(x), 1.0), 1.0)   # each entry's own scale
    unit = max(1.0, float(np.max(np.abs(x))) if x.size else 1.0)  # |x_i| / scale_i at most

    with np.errstate(all="ignore"):
        raw = f(x.copy() if x.ndim else np.float64(x)) if value is None else value
        f0, _, eps = _reference(raw, DEFAULTS["directional"])
        counter = _Counter(lambda p: f(p if p.ndim else np.float64(p)), f0.size, f0.shape)

        def call(point: np.ndarray) -> np.ndarray | None:
            out = counter(point)
            return out.reshape(f0.shape) if np.all(np.isfinite(out)) else None

        jumps, floors = [], []
        for step in KINK_STEPS:
            up, down = call(x + step * d), call(x - step * d)
            if up is None or down is None:
                return False
            forward, backward = (up - f0) / step, (f0 - down) / step
            slope = float(np.max(np.abs(np.stack([forward, backward])), initial=0.0))
            jumps.append(float(np.max(np.abs(forward - backward), initial=0.0)))
            noise = 10 * eps * (float(np.max(np.abs(f0), initial=0.0)) + unit * slope) / step
            floors.append(KINK_RTOL * slope + noise)
    steady = all(0.5 * a < b < 2 * a for a, b in zip(jumps[:-1], jumps[1:], strict=True))
    return steady and all(j > floor for j, floor in zip(jumps, floors, strict=True))


def random_directions(shape: tuple[int, ...] | int, count: int, seed: int | None = 0
                      ) -> np.ndarray:
    """``count`` random directions of the given shape, each scaled to root-mean-square 1.

    Drawn from :func:`probe_generator` (standard normal entries), so the same seed gives the
    same probes. Shape of the result: ``(count,) + shape``.

    >>> random_directions((2, 3), 4, seed=1).shape
    (4, 2, 3)
    """
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    draws = probe_generator(seed).standard_normal((count,) + shape)
    if draws.size == 0:
        return draws
    rms = np.sqrt(np.mean(draws.reshape(count, -1) ** 2, axis=1))
    return draws / rms.reshape((count,) + (1,) * len(shape))


def probe_generator(seed: int | None = 0) -> np.random.Generator:
    """The seeded generator of random probes. Its stream differs from
    ``numpy.random.default_rng(seed)``'s, so probes are not the user's own data drawn with
    the same seed (``None``: fresh randomness).

    >>> float(probe_generator(3).standard_normal()) == float(probe_generator(3).standard_normal())
    True
    """
    return np.random.default_rng(None if seed is None else [PROBE_STREAM, int(seed)])
