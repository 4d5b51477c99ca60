"""What a numerically computed "derivative" would be, to recognise one in a student's answer.

Forward, backward and central differences with the absolute steps ``h`` that exercises and
students write (1e-2 ... 1e-8). ``gradcheck.numeric`` re-exports these functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

# Steps of the difference quotients students compute by hand, to recognise one.
QUOTIENT_STEPS = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8)


def difference_quotients(g: Callable[[Any], Any], x: np.ndarray, f0: np.ndarray,
                         steps: Sequence[float] = QUOTIENT_STEPS) -> dict[str, np.ndarray]:
    """What a numerically computed "derivative" would be: forward, backward and central
    differences with absolute steps ``h`` as a student writes them, keyed by description.
    All of them at once (``3 * len(steps)`` Jacobians); :func:`iter_difference_quotients`
    makes them one step at a time.

    >>> import numpy as np
    >>> q = difference_quotients(np.exp, np.array([0.0]), np.exp(np.array([0.0])), [1e-2])
    >>> len(q), round(float(q["forward difference, h=0.01"][0, 0]), 4)
    (3, 1.005)
    """
    return dict(iter_difference_quotients(g, x, f0, steps))


def iter_difference_quotients(g: Callable[[Any], Any], x: np.ndarray, f0: np.ndarray,
                              steps: Sequence[float] = QUOTIENT_STEPS
                              ) -> Iterator[tuple[str, np.ndarray]]:
    """The quotients of :func:`difference_quotients` as ``(description, array)`` pairs,
    computed one step ``h`` at a time when iterated: about five Jacobians in memory at once,
    whatever the number of steps (:func:`gradcheck.compare.compare` keeps only the closest).

    >>> import numpy as np
    >>> pairs = iter_difference_quotients(np.sin, np.array([0.5]), np.sin(np.array([0.5])))
    >>> name, quotient = next(pairs)
    >>> name, round(float(quotient[0, 0]), 4)
    ('forward difference, h=0.01', 0.8752)
    """
    flat = x.reshape(-1)
    shape = f0.shape + x.shape
    base = np.asarray(f0, dtype=np.float64).reshape(-1, 1)
    for h in steps:
        up, down = np.empty((base.size, flat.size)), np.empty((base.size, flat.size))
        with np.errstate(all="ignore"):
            for i in range(flat.size):
                for table, sign in ((up, 1.0), (down, -1.0)):
                    point = flat.copy()
                    point[i] += sign * h
                    table[:, i] = _quiet(g, point.reshape(x.shape) if x.ndim else point[0],
                                         base.size)
            forward = ((up - base) / h).reshape(shape)
            yield f"forward difference, h={h:g}", forward
            del forward
            backward = ((base - down) / h).reshape(shape)
            yield f"backward difference, h={h:g}", backward
            del backward
            central = ((up - down) / (2 * h)).reshape(shape)
        yield f"central difference, h={h:g}", central
        del up, down, central


def _quiet(g: Callable[[Any], Any], point: Any, size: int) -> np.ndarray:
    try:
        return np.asarray(g(point), dtype=np.float64).reshape(-1)
    except (ValueError, ArithmeticError):
        return np.full(size, np.nan)
