"""Finite differences you can trust: Richardson extrapolation with an error estimate per entry.

For every input entry ``x_i`` the derivative is estimated from central differences
``(f(x + h e_i) - f(x - h e_i)) / 2h`` over a *ladder* of steps ``h = s * base * ratio**-k``.
Consecutive windows of ``terms + 1`` steps are combined by Richardson extrapolation, which
cancels the ``h**2``, ``h**4``, ... terms of the truncation error. Each window gets an error
estimate: the larger difference to its neighbouring windows (truncation and noise, measured)
plus the rounding error of ``f`` propagated through the extrapolation (``eps * |f| / h``, with
the ``eps`` of the dtype ``f`` returns: float32's when it computes in float32). Per output
entry, the window with the smallest estimated error among those that look converged (and
agree with all smaller-step ones) wins; an entry where none does is zero within noise, or NaN
(not resolved).

Two ladders protect against singularities and bad scaling: a *relative* one with
``s = |x_i|`` (it never steps across zero, so ``log`` at ``1e-9`` and ``sqrt`` at ``1e-10``
work) and an *absolute* one with ``s = 1`` (for entries at or near zero, and for large entries
of functions that still vary on a scale of 1, as ``sin`` at ``1e5``); they merge into one
longer ladder when they overlap. Windows in which ``f`` is not finite (or raises
``ValueError``/``ArithmeticError``) are discarded.

>>> import numpy as np
>>> est = jacobian(np.exp, np.array([0.0, 1.0]))
>>> bool(np.allclose(est.value, np.diag(np.exp([0.0, 1.0])), rtol=1e-12, atol=1e-14))
True
"""

from gradcheck.numeric.columns import jacobian
from gradcheck.numeric.differences import DEFAULTS, Estimate, directional
from gradcheck.numeric.probes import KINK_STEPS, kink, probe_generator, random_directions
from gradcheck.numeric.quotients import (
    QUOTIENT_STEPS,
    QuotientModel,
    difference_quotients,
    iter_difference_quotients,
)

__all__ = ["DEFAULTS", "Estimate", "KINK_STEPS", "QUOTIENT_STEPS", "QuotientModel",
           "difference_quotients",
           "directional", "iter_difference_quotients", "jacobian", "kink", "probe_generator",
           "random_directions"]
