"""``assert check(f, df, x)`` must fail for a wrong derivative: truthiness is the verdict."""

import numpy as np
import pytest

from gradcheck import check, check_vjp


def test_a_failed_check_is_falsy():
    result = check(np.sin, lambda x: -np.cos(x), 0.5)
    assert not result.passed
    assert not result
    with pytest.raises(AssertionError):
        assert check(np.sin, lambda x: -np.cos(x), 0.5)


def test_a_passed_check_is_truthy():
    assert check(np.sin, np.cos, 0.5)
    assert check_vjp(lambda a: a * a, lambda u, a: 2 * u * a, [1.0, 2.0])
    assert not check_vjp(lambda a: a * a, lambda u, a: u * a, [1.0, 2.0])
