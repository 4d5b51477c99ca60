"""How the shape of an answer differs from the expected one: a transpose (and whether its
transpose matches), axes of length 1 squeezed or added, the same entries reshaped.

>>> import numpy as np
>>> shape_story((2, 3), np.zeros((3, 2)), 1)
'shape (3, 2) is the transpose of the expected (2, 3)'
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def _shape_text(shape: tuple[int, ...]) -> str:
    return "() (a scalar)" if shape == () else str(shape)


def shape_story(expected_shape: tuple[int, ...], got: np.ndarray, out_ndim: int,
                fits: Callable[[np.ndarray], bool] | None = None) -> str:
    """Says how the shapes differ; ``fits(array)`` (if given) tells whether values match."""
    e, r = tuple(expected_shape), got.shape
    for axes in transpositions(got.shape, out_ndim):
        if tuple(r[a] for a in axes) == e:
            story = f"shape {r} is the transpose of the expected {e}"
            matches = fits is not None and fits(np.transpose(got, axes))
            return story + ("; its transpose matches" if matches else "")
    story = f"wrong shape {_shape_text(r)} — expected {_shape_text(e)}"
    if got.size == math.prod(e):
        squeezed = [n for n in r if n != 1] == [n for n in e if n != 1]
        how = "squeezed" if squeezed else "reshaped"
        if fits is not None and fits(got.reshape(e)):
            return story + f"; the same entries {how} to {e} match"
        return story + (" (only axes of length 1 differ)" if squeezed
                        else " (same number of entries)")
    return story


def transpositions(shape: tuple[int, ...], out_ndim: int) -> list[tuple[int, ...]]:
    """Axis orders that swap outputs and inputs: the two halves, and the plain reversal."""
    ndim = len(shape)
    orders = []
    if 0 < out_ndim < ndim:
        orders.append(tuple(range(ndim - out_ndim, ndim)) + tuple(range(ndim - out_ndim)))
    if ndim >= 2:
        orders.append(tuple(reversed(range(ndim))))
    return [o for i, o in enumerate(orders) if o not in orders[:i]]
