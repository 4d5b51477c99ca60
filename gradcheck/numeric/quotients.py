"""What a numerically computed "derivative" would be, to recognise one in a student's answer.

:class:`QuotientModel` recognises any stencil and step by fitting the quotient's error
model; :func:`difference_quotients` makes forward, backward and central differences with
given steps (the "difference quotient" wrong answer that validation generates).
``gradcheck.numeric`` re-exports them.
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


# Stencils a student can write with numpy, as (name, order p, [(offset in h, weight)], divisor):
# the quotient is sum(weight * f(x + offset h)) / (divisor h) = f' + a h^p + ...
STENCILS = (
    ("forward difference", 1, ((1, 1.0), (0, -1.0)), 1.0),
    ("backward difference", 1, ((0, 1.0), (-1, -1.0)), 1.0),
    ("central difference", 2, ((1, 1.0), (-1, -1.0)), 2.0),
    ("second-order forward difference", 2, ((0, -3.0), (1, 4.0), (2, -1.0)), 2.0),
    ("second-order backward difference", 2, ((0, 3.0), (-1, -4.0), (-2, 1.0)), 2.0),
    ("five-point stencil", 4, ((-2, 1.0), (-1, -8.0), (1, 8.0), (2, -1.0)), 12.0),
)
# Probe steps (times |x_i| below 1, else 1) for stencils of order 1 and of order 2 and up: on
# numeric.jacobian's short ladder (½ · 4^-3 and ½ · 4^-2), so its evaluations serve.
PROBE = {1: 0.5 * 4.0 ** -3, 2: 0.5 * 4.0 ** -2}
FIT = 0.1           # residuals must follow the fitted a h^p this closely (share of their size)
STEPS = (1e-10, 0.5)   # plausible steps, relative to max(|x_i|, 1) (or to |x_i|: relative)
AGREE = 0.03        # fitted steps of different entries agree this closely (same h or h/|x_i|)
MOST = 8            # entries evaluated at most, those farthest off first
ROUNDING = 64       # one entry, one output: the quotient must be reproduced to this many eps
EPS = float(np.finfo(np.float64).eps)
NICE = (1.0, 2.0, 2.5, 5.0)   # mantissas of round steps (1e-5, 2e-4, 2.5e-3, 5e-2)


class QuotientModel:
    """Recognises a difference quotient of ``g`` at ``x`` in an answer, for any step and
    stencil, by fitting each stencil's error model rather than trying a list of steps.

    A stencil of order p errs by ``a h^p`` (forward: ``h f''/2``, central: ``h² f'''/6``,
    five-point: ``-h⁴ f⁽⁵⁾/30``). For the entries where the answer is off beyond the
    reference's error, ``a`` (one value per output) is measured from ``g`` at a probe step,
    the step ``h`` that best explains the residual is fitted, refined once, and the stencil
    evaluated at it (or at the round step it is close to): the answer is that quotient when
    it is far closer to it than to the reference. One step must serve every entry (or one
    step relative to each ``|x_i|``), and where the fit has a single degree of freedom (one
    entry, one output) only a round step (1, 2, 2.5, 5 times a power of 10) counts.
    Evaluations of ``g`` are kept, so one model serves many answers at one point.

    >>> import numpy as np
    >>> x = np.array([0.3, 1.1])
    >>> model = QuotientModel(lambda z: np.sin(z) * z, x)
    >>> exact = np.diag(np.cos(x) * x + np.sin(x))
    >>> h = 3e-4
    >>> answer = np.diag((np.sin(x + h) * (x + h) - np.sin(x - h) * (x - h)) / (2 * h))
    >>> model.match(exact, answer, np.zeros_like(exact), 0.01)
    'central difference, h=0.0003'
    """

    def __init__(self, g: Callable[[Any], Any], x: Any, value: Any = None,
                 cache: dict | None = None):
        self.x = np.array(x, dtype=np.float64)
        self.flat = self.x.reshape(-1)
        with np.errstate(all="ignore"):
            raw = g(self.x.copy() if self.x.ndim else self.x[()]) if value is None else value
        self.f0 = np.asarray(raw, dtype=np.float64).reshape(-1)
        self.g, self.memo = g, ({} if cache is None else cache)  # jacobian's evaluations
        self.evaluations = 0

    def _at(self, i: int, t: float) -> np.ndarray:
        if t == 0:
            return self.f0
        key = (i, float(t))
        if key not in self.memo:
            point = self.flat.copy()
            point[i] += t
            self.evaluations += 1
            with np.errstate(all="ignore"):
                self.memo[key] = _quiet(self.g, point.reshape(self.x.shape) if self.x.ndim
                                        else point[0], self.f0.size)
        return self.memo[key]

    def quotient(self, i: int, stencil: tuple, h: float) -> np.ndarray:
        """Column ``i`` of the stencil's quotient with step ``h`` (flat over outputs)."""
        _, _, terms, divisor = stencil
        with np.errstate(all="ignore"):
            return sum(w * self._at(i, k * h) for k, w in terms) / (divisor * h)

    def match(self, expected: Any, got: Any, error: Any, closer: float) -> str | None:
        """The description of the quotient ``got`` is (``"central difference, h=0.0003"``),
        or None. ``expected`` and ``error``: the reference and its error, in the layout
        ``f(x).shape + x.shape``; a match must be ``closer`` times nearer to ``got`` than
        ``expected`` is."""
        m, n = self.f0.size, self.flat.size
        expected = np.asarray(expected, dtype=np.float64)
        if expected.size != m * n or np.size(got) != m * n:
            return None  # not a Jacobian of g at x (a projection, another layout)
        error = np.broadcast_to(np.asarray(error, dtype=np.float64), expected.shape)
        error = error.reshape(m, n)
        expected = expected.reshape(m, n)
        got = np.asarray(got, dtype=np.float64).reshape(m, n)
        residual = got - expected
        off = np.max(np.abs(residual) - error, axis=0)
        columns = [int(i) for i in np.argsort(-off) if off[i] > 0][:MOST]
        if not columns:
            return None  # within the reference's error bar: never a quotient
        for stencil in STENCILS:
            found = self._fit(stencil, columns, expected, got, residual, closer)
            if found:
                return found
        return None

    def _fit(self, stencil: tuple, columns: list[int], expected: np.ndarray, got: np.ndarray,
             residual: np.ndarray, closer: float) -> str | None:
        name = stencil[0]
        steps = []
        for i in columns:
            scale = max(abs(float(self.flat[i])), 1.0)
            h = PROBE[min(stencil[1], 2)] * _ladder_scale(float(self.flat[i]))
            for _ in range(3):  # probe, then refine twice at the fitted step
                h = self._step(stencil, i, h, expected[:, i], residual[:, i])
                if h is None or not STEPS[0] * scale <= h <= STEPS[1] * scale:
                    return None
            steps.append(h)
        steps = np.array(steps)
        magnitude = np.abs(self.flat[columns])
        choices = [(float(np.median(steps)), None)]
        if np.all(magnitude > 0):  # one step relative to each |x_i|
            choices.append((float(np.median(steps / magnitude)), magnitude))
        single = len(columns) == 1 and self.f0.size == 1
        for common, relative in choices:
            per = common * (relative if relative is not None else np.ones(len(columns)))
            if np.any(np.abs(steps - per) > AGREE * per):
                continue
            for step in ([_round(common)] if single else [_round(common), common]):
                if step is None:
                    continue
                per = step * (relative if relative is not None else np.ones(len(columns)))
                if all(self._close(stencil, i, h, got[:, i], residual[:, i], closer, single)
                       for i, h in zip(columns, per, strict=True)):
                    text = f"{step:.3g}" + ("·|x|" if relative is not None else "")
                    return f"{name}, h={text}"
        return None

    def _step(self, stencil: tuple, i: int, h: float, exact: np.ndarray,
              residual: np.ndarray) -> float | None:
        """The step that explains ``residual`` as ``a h^p``, with ``a`` measured at ``h``."""
        order = stencil[1]
        slope = (self.quotient(i, stencil, h) - exact) / h ** order
        if not np.all(np.isfinite(slope)):
            return None
        norm = float(np.dot(slope, slope))
        if norm == 0.0:
            return None
        power = float(np.dot(residual, slope)) / norm
        if power <= 0 or np.linalg.norm(residual - power * slope) > FIT * np.linalg.norm(residual):
            return None
        return power ** (1.0 / order)

    def _close(self, stencil: tuple, i: int, h: float, got: np.ndarray, residual: np.ndarray,
               closer: float, single: bool) -> bool:
        """Whether ``got`` is the stencil's quotient at step ``h``: ``closer`` times nearer
        to it than to the reference; with one degree of freedom, equal up to the rounding of
        the quotient itself (a constant such as 1e-3 is a backward difference of cos at 0
        with h = 2e-3, up to O(h^2): not evidence of one)."""
        quotient = self.quotient(i, stencil, h)
        if not np.all(np.isfinite(quotient)):
            return False
        gap = float(np.max(np.abs(got - quotient)))
        if single:
            _, _, terms, divisor = stencil
            noise = sum(abs(w) * np.abs(self._at(i, k * h)) for k, w in terms) / (divisor * h)
            return gap <= min(closer * float(np.max(np.abs(residual))),
                              ROUNDING * EPS * float(np.max(noise)))
        return gap <= closer * float(np.max(np.abs(residual)))


def _ladder_scale(xi: float) -> float:
    return abs(xi) if 1e-150 <= abs(xi) < 1 else 1.0


def _round(step: float) -> float | None:
    """The round step (1, 2, 2.5 or 5 times a power of ten) within ``AGREE`` of ``step``."""
    power = 10.0 ** np.floor(np.log10(step))
    for mantissa in (*NICE, 10.0):
        if abs(step - mantissa * power) <= AGREE * step:
            return float(mantissa * power)
    return None
