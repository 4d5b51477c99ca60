"""The verdict on a small answer that passes cleanly, decided on Python floats.

Most answers a grader compares are right, and small (a scalar, a gradient of a few entries, a
2×3 Jacobian): for them numpy's cost per call, not per entry, is what a comparison costs.
:func:`clean_pass` computes the same verdict as :func:`gradcheck.compare.compare` with the
same IEEE double arithmetic (subtraction, absolute value, division, comparison) on Python
floats, for an exact reference (no error estimate) when every entry is within tolerance and
the relative error is at most "suspicious"; every other case is left to ``compare``.
"""

from __future__ import annotations

import math

import numpy as np

from gradcheck.results import CheckResult

SMALL = 64   # entries: beyond this numpy's speed per entry wins over its cost per call
_TINY = float(np.finfo(float).tiny)


def clean_pass(expected: np.ndarray, got: np.ndarray, rtol: float, atol: float,
               suspicious: float, label: str = "") -> CheckResult | None:
    """The passing result ``compare`` gives ``got`` against ``expected`` (float64 arrays of
    one shape, 1 to :data:`SMALL` entries, the reference exact), or None when the answer
    does not pass cleanly (an entry off, a relative error above ``suspicious``, a value that
    is not finite): then ``compare`` decides.

    >>> import numpy as np
    >>> clean_pass(np.array([1.0, -2.0]), np.array([1.0, -2.0 + 1e-12]), 1e-6, 0.0,
    ...            1e-9).worst_index
    (1,)
    >>> clean_pass(np.array([1.0]), np.array([1.1]), 1e-6, 0.0, 1e-9) is None
    True
    """
    want, have = expected.ravel().tolist(), got.ravel().tolist()
    if not (all(map(math.isfinite, want)) and all(map(math.isfinite, have))):
        return None
    scale = max(map(abs, want))
    if scale == 0:
        scale = 1.0   # the derivative is zero: compare absolutely
    tol = rtol * scale + atol
    diffs = [abs(h - w) for h, w in zip(have, want, strict=True)]
    largest = max(diffs)
    if not largest <= tol or largest / scale > suspicious:
        return None
    floor = max(tol, _TINY)
    ratios = [d / floor for d in diffs]
    at = ratios.index(max(ratios))   # the first of equals, as numpy's argmax
    return CheckResult(passed=True, code="ok", diagnosis="", max_abs_error=largest,
                       max_rel_error=largest / scale, tolerance=tol / scale,
                       worst_index=_unravel(at, expected.shape), expected=want[at],
                       received=have[at], expected_shape=expected.shape,
                       received_shape=got.shape, label=label)


def _unravel(at: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    index = []
    for size in reversed(shape):
        at, rest = divmod(at, size)
        index.append(rest)
    return tuple(reversed(index))
