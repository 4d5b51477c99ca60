"""Central finite differences for the engine and expression tests: the independent route.

Kept apart from ``gradcheck.numeric`` on purpose, so that the engine is checked against code
that shares nothing with it: plain numpy functions differentiated numerically.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np


def numeric_jacobian(f: Callable[..., np.ndarray], inputs: Mapping[str, object], wrt: str,
                     step: float = 1e-4) -> np.ndarray:
    """d f(**inputs) / d inputs[wrt] in the layout ``f.shape + x.shape``.

    Four-point central stencil (a Richardson-extrapolated central difference, error O(h^4)),
    with the step scaled to each entry's magnitude.
    """
    base = {name: np.array(value) if np.asarray(value).dtype.kind in "biu" and name != wrt
            else np.array(value, dtype=np.float64) for name, value in inputs.items()}  # data stays
    x = base[wrt]
    value = np.asarray(f(**base), dtype=np.float64)
    jac = np.zeros(value.shape + x.shape)

    for index in np.ndindex(x.shape):
        h = step * max(1.0, abs(x[index]))

        def at(offset: float, index: tuple[int, ...] = index) -> np.ndarray:
            moved = x.copy()
            moved[index] += offset
            return np.asarray(f(**{**base, wrt: moved}), dtype=np.float64)

        near = at(h) - at(-h)
        far = at(2 * h) - at(-2 * h)
        jac[(Ellipsis, *index)] = (8 * near - far) / (12 * h)
    return jac


def assert_close_jacobian(received: np.ndarray, expected: np.ndarray, rtol: float = 1e-6) -> None:
    """Equal shapes, and entries equal up to ``rtol`` times the scale of the whole Jacobian."""
    assert received.shape == expected.shape, (received.shape, expected.shape)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(received, expected, rtol=rtol, atol=rtol * scale)


def check_op(engine_fn: Callable[..., object], numpy_fn: Callable[..., np.ndarray],
             **inputs: object) -> None:
    """Value equals numpy's; every Jacobian equals central differences of the numpy function.

    Both functions take the inputs positionally, in the order given.
    """
    from gradcheck import engine

    value, jacobians = engine.jacobian(lambda **kw: engine_fn(*kw.values()), inputs, list(inputs))
    reference = lambda **kw: numpy_fn(*kw.values())  # noqa: E731
    np.testing.assert_allclose(value, reference(**inputs), rtol=1e-12, atol=1e-14)
    assert value.dtype == np.float64
    for name, jac in zip(inputs, jacobians, strict=True):
        assert_close_jacobian(jac, numeric_jacobian(reference, inputs, name))
