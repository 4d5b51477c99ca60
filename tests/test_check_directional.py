"""check() in directional mode (random directions instead of every entry): large inputs,
the mistakes it still names, inputs near the edge of a domain, and when auto mode switches."""

import importlib

import numpy as np
import pytest

from gradcheck import check

RNG = np.random.default_rng(11)   # as tests/test_check.py draws them
A = RNG.standard_normal((4, 3))
X = RNG.standard_normal(3)
BIG = np.random.default_rng(5).standard_normal(100_000)


def big_f(x):
    return np.sum(np.sin(x) * x)


def big_grad(x):
    return np.sin(x) + x * np.cos(x)


def test_directional_passes_correct_gradients_of_large_inputs():
    result = check(big_f, big_grad, BIG)
    assert result.passed, result
    assert "random directions" in result.label
    assert check(big_f, lambda x: big_grad(x).astype(np.float32), BIG).passed


@pytest.mark.parametrize("wrong, code", [
    (lambda x: -big_grad(x), "sign"),
    (lambda x: 2 * big_grad(x), "factor"),
    (lambda x: x * np.cos(x), "values"),          # dropped product-rule term
])
def test_directional_finds_sign_factor_and_dropped_term(wrong, code):
    result = check(big_f, wrong, BIG)
    assert not result.passed and result.code == code, result


def test_directional_shape_and_nan_are_checked_on_the_gradient_itself():
    result = check(big_f, lambda x: big_grad(x)[:-1], BIG)
    assert result.code == "shape"
    result = check(big_f, lambda x: np.where(x > 3.5, np.nan, big_grad(x)), BIG)
    assert result.code == "nonfinite" and result.worst_index is not None


def test_directional_mode_on_request_for_a_small_vector_function():
    result = check(lambda x: A @ np.sin(x), lambda x: A * np.cos(x), X, mode="directional")
    assert result.passed, result
    result = check(lambda x: A @ np.sin(x), lambda x: -A * np.cos(x), X, mode="directional")
    assert result.code == "sign"


@pytest.mark.parametrize("f, df", [(np.log, lambda p: 1 / p),
                                   (np.sqrt, lambda p: 0.5 / np.sqrt(p))])
def test_directional_mode_near_the_edge_of_the_domain(f, df):
    p = np.random.default_rng(6).uniform(0.01, 1.0, 10_000)    # 10^4 entries: directional
    assert check(lambda q: np.sum(f(q)), df, p).passed
    assert check(lambda q: np.sum(f(q)), lambda q: 2 * df(q), p).code == "factor"


def test_auto_mode_switches_to_directional_above_the_size_limit(monkeypatch):
    module = importlib.import_module("gradcheck.check")
    assert module.DIRECTIONAL_SIZE == 2_000
    monkeypatch.setattr(module, "DIRECTIONAL_SIZE", 10)
    assert "random directions" not in check(np.sum, np.ones_like, np.ones(10)).label
    assert "random directions" in check(np.sum, np.ones_like, np.ones(11)).label
