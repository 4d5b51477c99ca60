"""Difference quotients an answer might be: the candidates :func:`gradcheck.compare.compare`
weighs, and when an answer may be called one at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

__all__ = ["Candidates", "beyond_noise", "closest_candidate", "quotient_story"]

# Difference quotients the received values might be: name -> array, (name, array) pairs
# (consumed once, so they can be computed one at a time), or a function returning either,
# called only when the verdict needs them (they cost evaluations of f).
# An object with a ``match(expected, got, error, closer)`` method (numeric.QuotientModel)
# fits any step instead.
Candidates = Mapping[str, Any] | Iterable[tuple[str, Any]] | Callable[[], Any]


def beyond_noise(diff: np.ndarray, error: np.ndarray | None, dtype: Any, scale: float) -> bool:
    """Whether an answer within tolerance differs from the reference by more than the
    reference's error bar and the rounding of its own dtype (float32: a correct answer):
    only then can it be a difference quotient rather than the derivative."""
    eps = float(np.finfo(dtype).eps) if np.dtype(dtype).kind == "f" else 2.0 ** -52
    slack = 4 * eps * scale + (0.0 if error is None else error)
    return bool(np.any(diff > slack))


def quotient_story(match: str) -> str:
    return f"matches a difference quotient ({match}), not an exact derivative"


def closest_candidate(expected: np.ndarray, got: np.ndarray,
                      candidates: Candidates | None, closer: float,
                      error: np.ndarray | None = None) -> str | None:
    if candidates is None:
        return None
    if callable(candidates) and not hasattr(candidates, "match"):
        candidates = candidates()
    if hasattr(candidates, "match"):  # a model that fits any step (numeric.QuotientModel)
        slack = np.zeros(expected.shape) if error is None else error
        return candidates.match(expected, got, slack, closer)
    pairs = candidates.items() if isinstance(candidates, Mapping) else candidates
    off = float(np.max(np.abs(got - expected)))
    best, best_gap = None, math.inf
    for name, values in pairs:
        values = np.asarray(values, dtype=np.float64)
        if values.shape != got.shape or not np.all(np.isfinite(values)):
            continue
        gap = float(np.max(np.abs(got - values)))
        if gap < best_gap:
            best, best_gap = name, gap
    return best if best_gap <= closer * off else None
