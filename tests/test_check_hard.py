"""check() at hard points: near singularities and poles, inputs of 1e4, badly scaled entries,
oscillating functions, exact zeros, large logits. Right answers (exact, float32, complex
step) pass, wrong ones fail, and nothing raises."""

from __future__ import annotations

import numpy as np
import pytest

from gradcheck import check


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(z / 2))


_FEATURES = np.array([[1e4, 1.0, 1e-3], [-2e4, 0.5, 3e-3], [5e3, -1.5, -2e-3],
                      [-1e4, 2.0, 1e-3]])
_LABELS = np.array([1.0, 0.0, 1.0, 0.0])
_MIX = np.random.default_rng(5).standard_normal((3, 3))


def _logistic(w):
    z = _FEATURES @ w
    return np.sum(np.logaddexp(0, z) - _LABELS * z)


def _logistic_grad(w):
    return _FEATURES.T @ (_sigmoid(_FEATURES @ w) - _LABELS)


def _lse(z):
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m)))


def _lse_complex(z):  # the same function, written so that complex input works
    m = np.max(z.real)
    return m + np.log(np.sum(np.exp(z - m)))


def _softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


# name, f, exact derivative, point, a step (for a forward difference) on f's local scale
FAMILIES = [
    ("sqrt(1 - x^2) 1e-6 below 1", lambda x: np.sqrt(1 - x * x),
     lambda x: -x / np.sqrt(1 - x * x), 1 - 1e-6, 1e-9),
    ("arctanh 1e-6 below 1", np.arctanh, lambda x: 1 / (1 - x * x), 1 - 1e-6, 1e-9),
    ("tan 1.2e-4 below pi/2", np.tan, lambda x: 1 / np.cos(x) ** 2, np.pi / 2 - 1.2e-4, 1e-7),
    ("tan 1e-6 below pi/2", np.tan, lambda x: 1 / np.cos(x) ** 2, np.pi / 2 - 1e-6, 1e-9),
    ("(x^2 + 1)/(x - 3) 3e-6 above 3", lambda x: (x * x + 1) / (x - 3),
     lambda x: (x * x - 6 * x - 1) / (x - 3) ** 2, 3 + 3e-6, 1e-9),
    ("sum(sin(T)) near 1e4", lambda t: np.sum(np.sin(t)), np.cos,
     1e4 + np.array([0.3, 1.7, -2.2, 5.1]), 1e-3),
    ("logistic loss, features 1e4, 1, 1e-3", _logistic, _logistic_grad,
     np.array([1e-4, 1.0, 4e2]), 1e-6),
    ("oscillating sin(50 x) x", lambda x: np.sum(np.sin(50 * x) * x),
     lambda x: 50 * np.cos(50 * x) * x + np.sin(50 * x), np.array([0.31, -0.77, 1.9]), 1e-5),
    ("exact zeros", lambda x: np.sum(x ** 2 * np.array([1.0, 2.0, 3.0])) + x[0] * x[2],
     lambda x: 2 * x * np.array([1.0, 2.0, 3.0]) + np.array([x[2], 0.0, x[0]]),
     np.array([0.0, 0.0, 1.5]), 1e-3),
    ("logsumexp of logits +-40", _lse, _softmax, np.array([40.0, -40.0, 3.0, 38.5]), 1e-3),
]


def _complex_step(f, x):
    x = np.asarray(x, dtype=float)
    out = np.empty(x.shape)
    for i in np.ndindex(x.shape):
        z = x.astype(complex)
        z[i] += 1e-30j
        out[i] = np.imag(f(z)) / 1e-30
    return out


@pytest.mark.parametrize("name, f, df, x, h", FAMILIES, ids=[c[0] for c in FAMILIES])
def test_right_answers_pass(name, f, df, x, h):
    assert check(f, df, x).passed, check(f, df, x)
    assert check(f, lambda x: np.float32(df(x)), x).passed
    complex_f = _lse_complex if f is _lse else f
    if f is not _logistic:  # logaddexp takes no complex input
        step = _complex_step(complex_f, x)
        assert check(f, lambda x: step, x).passed


@pytest.mark.parametrize("name, f, df, x, h", FAMILIES, ids=[c[0] for c in FAMILIES])
def test_wrong_answers_fail(name, f, df, x, h):
    x = np.asarray(x, dtype=float)

    def forward(z):
        base = f(z)
        out = np.empty(z.shape)
        for i in np.ndindex(z.shape):
            moved = z.copy()
            moved[i] += h * max(abs(float(z[i])), 1.0)
            out[i] = (f(moved) - base) / (moved[i] - z[i])
        return out if z.ndim else float(out)

    exact = df(x)
    zero = np.zeros_like(exact)
    for wrong in (lambda z: -df(z), lambda z: 2 * df(z), forward, lambda z: zero):
        result = check(f, wrong, x)
        assert not result.passed, (name, result)
        assert result.code not in ("undecided", "not-differentiable"), result


def test_dropped_terms_and_transposes_fail_at_hard_points():
    w = np.array([1e-4, 1.0, 4e2])
    dropped = check(_logistic, lambda v: _FEATURES.T @ _sigmoid(_FEATURES @ v), w)
    assert not dropped.passed and dropped.code not in ("undecided", "not-differentiable")
    x = 1 - 1e-6   # product rule beside a singularity: the slowly varying term dropped
    assert not check(lambda z: np.exp(z) * np.arctanh(z),
                     lambda z: np.exp(z) / (1 - z * z), x).passed
    x = np.array([[1e4, 2.0], [3e-3, -1e4 + 1]])
    f = lambda a: np.sin(_MIX[:2, :2] @ a)  # noqa: E731

    def jac(a):
        out = np.zeros((2, 2, 2, 2))
        c = np.cos(_MIX[:2, :2] @ a)
        for i in range(2):
            for j in range(2):
                out[i, j, :, j] = c[i, j] * _MIX[i, :2]
        return out

    assert check(f, jac, x).passed
    turned = check(f, lambda a: jac(a).transpose(2, 3, 0, 1), x)
    assert not turned.passed and turned.code == "transposed"


def test_a_reference_wrong_by_100_percent_never_passes_zero():
    x = np.pi / 2 - 1.2e-4
    assert not check(np.tan, lambda z: 0.0, x).passed
    assert not check(lambda z: (z * z + 1) / (z - 3), lambda z: 0.0, 3 + 3e-6).passed


def test_answers_within_the_reference_error_are_never_quotients():
    x = np.pi / 2 - 1.2e-4
    for answer in (1 / np.cos(x) ** 2, np.float32(1 / np.cos(x) ** 2),
                   1 / (np.cos(x) * np.cos(x))):
        result = check(np.tan, lambda z, a=answer: a, x)
        assert result.passed, result


def test_nothing_settles_is_a_result_naming_the_entry():
    result = check(lambda z: np.sum(np.cbrt(z)), lambda z: np.ones(3), np.array([1.0, 0.0, 2.0]))
    assert not result.passed and result.code == "undecided"
    assert "entry [1]" in result.diagnosis and "another point" in result.diagnosis
    low = check(lambda z: np.cbrt(np.float32(z)), lambda z: 1.0, 0.0)
    assert low.code == "undecided" and "float64" in low.diagnosis
