"""check() and check_vjp(): correct derivatives pass, typical mistakes fail with their name."""


import numpy as np
import pytest

import gradcheck
from gradcheck import check, check_vjp
from gradcheck.errors import UsageError
from tests.test_check_directional import BIG, big_f, big_grad

RNG = np.random.default_rng(11)
A = RNG.standard_normal((4, 3))
X = RNG.standard_normal(3)
B = RNG.standard_normal(4)
LOGITS = np.array([40.0, -40.0, 3.0, -17.5, 25.0, -39.0])
LABEL = 1


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


def cross_entropy(z):
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m))) - z[LABEL]


def tanh_affine(a):
    return np.tanh(a @ X + B)


def d_tanh_affine_da(a):
    t = np.tanh(a @ X + B)
    jac = np.zeros((4, 4, 3))
    for i in range(4):
        jac[i, i] = (1 - t[i] ** 2) * X
    return jac


def forward_difference(f, h):
    return lambda x: (f(x + h) - f(x)) / h


def central_difference(f, h):
    return lambda x: (f(x + h) - f(x - h)) / (2 * h)


# --- correct derivatives pass -------------------------------------------------------------

@pytest.mark.parametrize("f, df, x", [
    (np.sin, lambda x: np.float32(np.cos(x)), 0.5),
    (lambda x: np.exp(x) * np.sin(x),
     lambda x: np.diag(np.exp(np.float32(x)) * (np.sin(np.float32(x)) + np.cos(np.float32(x)))),
     [0.3, 1.2, -0.7]),
    (lambda x: x**3, lambda x: 3 * x**2, 1e3 + 0.5),
    (np.exp, np.exp, 30.0),
    (np.log, lambda x: 1 / x, 1e-9),
    (np.sqrt, lambda x: 0.5 / np.sqrt(x), 1e-10),
    (cross_entropy, lambda z: softmax(z) - np.eye(len(z))[LABEL], LOGITS),
    (cross_entropy, lambda z: (softmax(z) - np.eye(len(z))[LABEL]).astype(np.float32), LOGITS),
    (tanh_affine, d_tanh_affine_da, A),
    (tanh_affine, lambda a: d_tanh_affine_da(a).astype(np.float32), A),
    (lambda x: x @ x, lambda x: [2 * v for v in x], [1.0, -2.0, 0.5]),   # list result
], ids=["float32 scalar", "float32 computed", "x^3 at 1e3", "exp at 30", "log at 1e-9",
        "sqrt at 1e-10", "cross-entropy logits +-40", "cross-entropy float32",
        "dtanh(Ax+b)/dA (M, M, N)", "dtanh(Ax+b)/dA float32", "list"])
def test_correct_derivatives_pass(f, df, x):
    result = check(f, df, x)
    assert result.passed, result
    assert result.code == "ok"


@pytest.mark.parametrize("x", [1e4, 1e5, [3e4, -1e6, 2.5e7]])
def test_large_magnitudes(x):
    assert check(lambda z: np.sum(np.sin(z)), np.cos, x).passed
    result = check(lambda z: np.sum(np.sin(z)), lambda z: 2 * np.cos(z), x)
    assert result.code == "factor", result


def _exp32(x):
    return np.sum(np.exp(np.float32(x)))


def _sumsq32(x):
    return np.sum(x.astype(np.float32) ** 2)


@pytest.mark.parametrize("f, df, x", [
    (_exp32, np.exp, [0.5, 1.5, 2.0]),
    (lambda x: np.tanh(x.astype(np.float32)), lambda x: np.diag(1 - np.tanh(x) ** 2),
     np.linspace(-2, 2, 7)),
    (lambda x: np.sin(np.float32(x)), np.cos, 0.7),
    (_sumsq32, lambda x: 2 * x, np.linspace(0.1, 3, 300)),
    (lambda x: np.sin(np.float32(x)), np.cos, 100.0),
    (lambda x: np.float16(x) ** 2, lambda x: 2 * x, 1.3),
], ids=["exp", "tanh", "sin", "sum of 300 squares", "sin at 100", "float16"])
def test_functions_computing_in_lower_precision_pass_and_mistakes_still_fail(f, df, x):
    # their rounding is float32's (float16's): a float64 estimate made correct answers fail
    assert check(f, df, x).passed, check(f, df, x)
    assert not check(f, lambda *a: 2 * np.asarray(df(*a)), x).passed


@pytest.mark.parametrize("f, g, df, x", [
    (_exp32, np.exp, np.exp, [0.5, 1.5, 2.0]),
    (lambda x: np.tanh(np.float32(x)), np.tanh, lambda x: 1 - np.tanh(x) ** 2, 0.4),
    (lambda x: np.sin(np.float32(x)), np.sin, np.cos, 0.7),
], ids=["exp", "tanh", "sin"])
def test_float32_functions_still_show_factors_and_coarse_difference_quotients(f, g, df, x):
    # g: the same function (elementwise) in float64, whose forward difference a student takes
    assert check(f, lambda z: 2 * df(z), x).code == "factor"
    quotient = check(f, forward_difference(g, 1e-3), x)   # off by about 1e-3 / 2 relative
    assert not quotient.passed, quotient


def test_shape_of_the_tanh_jacobian_is_m_m_n():
    result = check(tanh_affine, d_tanh_affine_da, A)
    assert result.expected_shape == (4, 4, 3)


def test_several_arguments_and_wrt():
    def f(x, a, b):
        return np.sin(a @ x + b)

    def df_dx(x, a, b):
        return np.cos(a @ x + b)[:, None] * a

    def df_db(x, a, b):
        return np.diag(np.cos(a @ x + b))

    assert check(f, df_dx, X, A, B).passed
    assert check(f, df_db, X, A, B, wrt=2).passed
    assert check(f, df_db, X, A, B, wrt=-1).passed
    result = check(f, df_dx, X, A, B, wrt=2)
    assert result.code == "shape" and result.label == "df/db"


def test_only_the_differentiated_argument_becomes_float64():
    index = np.array([0, 2])
    seen = []

    def f(x, i, n, rows):
        seen.append((i.dtype, type(n), type(rows)))
        i[0] = 1          # vandalism must not leak into the next call
        rows.append(99)
        return np.sum(x[[0, 2]] ** n)

    def df(x, i, n, rows):
        assert i.dtype.kind == "i" and isinstance(n, int) and rows == [0]
        return np.where(np.isin(np.arange(3), [0, 2]), n * x ** (n - 1), 0.0)

    assert check(f, df, np.array([1.0, 2.0, 3.0]), index, 3, [0]).passed
    assert set(seen) == {(np.dtype(int), int, list)}
    assert index.tolist() == [0, 2]
    result = check(lambda x, i: np.sum(x[i] ** 2), lambda x, i: 2 * x, [1.0, 2.0, 3.0], index)
    assert result.code == "entry", result


# --- mistakes fail with the right diagnosis -----------------------------------------------

def test_sign_flip():
    result = check(np.sin, lambda x: -np.cos(x), 0.5)
    assert not result.passed and result.code == "sign"
    assert "sign flipped" in result.diagnosis


def test_factor_two():
    result = check(lambda x: x @ x, lambda x: 4 * x, [1.0, 2.0, 3.0])
    assert result.code == "factor" and "factor 2" in result.diagnosis


def test_transposed_square_jacobian():
    m = RNG.standard_normal((3, 3))
    result = check(lambda x: np.tanh(m @ x), lambda x: ((1 - np.tanh(m @ x) ** 2)[:, None] * m).T,
                   X)
    assert result.code == "transposed" and "transposed" in result.diagnosis


def test_dropped_product_rule_term():
    result = check(lambda x: x * np.sin(x), lambda x: x * np.cos(x), 1.3)
    assert not result.passed and result.code == "values"
    assert "wrong value" in result.diagnosis
    result = check(lambda x: np.sum(x * np.exp(x)), lambda x: x * np.exp(x), [0.5, 1.0, 2.0])
    assert not result.passed and result.code == "values"


def test_empty_inputs_and_outputs():
    assert check(lambda x: np.sum(x**2), lambda x: 2 * x, np.zeros(0)).passed
    assert check(lambda x: x[:0], lambda x: np.zeros((0, 3)), np.ones(3)).passed
    assert check(lambda x: x[:0], lambda x: np.zeros((1, 3)), np.ones(3)).code == "shape"


def test_the_text_of_a_scalar_result_names_no_index():
    text = str(check(np.sin, lambda x: 2 * np.cos(x), 0.5))
    assert "\n  expected 0.8775825619, got 1.755165124 (absolute error" in text
    assert "[]" not in text and "worst entry" not in text
    assert "worst entry [1]: " in str(check(lambda x: x @ x, lambda x: 4 * x, [1.0, 2.0]))


def test_rounded_pi():
    result = check(lambda x: np.sin(np.pi * x), lambda x: 3.14 * np.cos(3.14 * x), 0.3)
    assert result.code == "close"
    # the size of this very mistake: 3.14 for π is off by 5.1e-4 in the factor, partly
    # cancelled at x = 0.3 by the same error inside cos
    exact = np.pi * np.cos(np.pi * 0.3)
    rel = abs(3.14 * np.cos(3.14 * 0.3) - exact) / abs(exact)
    assert result.diagnosis.startswith(f"close but not exact: relative error {rel:.1e}")
    assert result.max_rel_error == pytest.approx(rel, rel=1e-6)


@pytest.mark.parametrize("f, df, x, how", [
    (np.exp, forward_difference(np.exp, 1e-5), 1.0, "forward difference, h=1e-05"),
    (np.sin, forward_difference(np.sin, 1e-5), 0.5, "forward difference, h=1e-05"),
    (np.sin, central_difference(np.sin, 1e-2), 0.8, "central difference, h=0.01"),
    (lambda x: np.tanh(x) * x, central_difference(lambda x: np.tanh(x) * x, 1e-2), 1.1,
     "central difference, h=0.01"),
])
def test_difference_quotients_are_recognised(f, df, x, how):
    result = check(f, df, x)
    assert result.code == "difference-quotient", result
    assert f"matches a difference quotient ({how}), not an exact derivative" == result.diagnosis


def test_difference_quotient_gradient_of_a_vector_input():
    def f(x):
        return np.sum(np.sin(x) * x)

    def numerical(x):
        out = np.empty_like(x)
        for i in range(x.size):
            step = np.zeros_like(x)
            step[i] = 1e-5
            out[i] = (f(x + step) - f(x)) / 1e-5
        return out

    result = check(f, numerical, [0.3, -1.2, 2.0])
    assert result.code == "difference-quotient"


def test_one_wrong_entry_of_a_jacobian():
    def jac(x):
        j = np.diag(np.cos(x))
        j[1, 1] = 0.0
        return j

    result = check(np.sin, jac, [0.1, 0.2, 0.3])
    assert result.code == "entry" and result.worst_index == (1, 1)


def test_wrong_shape_and_nan():
    result = check(lambda x: A @ x, lambda x: A[0], X)
    assert result.code == "shape" and "wrong shape (3,) — expected (4, 3)" in result.diagnosis
    result = check(lambda x: A @ x, lambda x: A.T, X)
    assert result.code == "shape" and "transpose" in result.diagnosis
    result = check(np.log, lambda x: np.full(3, np.nan), [1.0, 2.0, 3.0])
    assert result.code == "shape"
    result = check(lambda x: A @ x, lambda x: A * np.nan, X)
    assert result.code == "nonfinite" and "NaN" in result.diagnosis


def test_exception_in_the_derivative_is_a_failing_result():
    def d_bad(x):
        raise KeyError("missing")

    result = check(np.sin, d_bad, 0.5)
    assert not result.passed and result.code == "invalid"
    assert "d_bad raised KeyError" in result.diagnosis
    result = check(np.sin, lambda x: "cos(x)", 0.5)
    assert result.code == "invalid" and "string" in result.diagnosis


def test_exception_in_the_function_propagates():
    def broken(x):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        check(broken, np.cos, 0.5)
    outside = check(np.log, lambda x: 1 / x, -1.0)
    assert not outside.passed and outside.code == "undecided"
    assert "not finite" in outside.diagnosis


def test_usage_errors():
    with pytest.raises(UsageError):
        check(np.sin, np.cos)
    with pytest.raises(UsageError):
        check(np.sin, np.cos, 0.5, wrt=1)
    with pytest.raises(UsageError):
        check(np.sin, np.cos, 0.5, mode="sideways")
    with pytest.raises(UsageError):
        check(np.sin, np.cos, "half")
    with pytest.raises(UsageError):
        check(np.sin, np.cos, np.ones(3), mode="directional", probes=0)


def test_the_derivative_may_not_spoil_the_point():
    def vandal(x):
        x[:] = 100.0
        return np.cos(x)

    assert not check(lambda x: np.sum(np.sin(x)), vandal, [0.1, 0.2]).passed
    assert check(lambda x: np.sum(np.sin(x)), lambda x: np.cos(x), [0.1, 0.2]).passed


def test_package_exports_the_functions():
    assert gradcheck.check(np.sin, np.cos, 0.5).passed
    assert callable(gradcheck.check_vjp)


# --- check_vjp ----------------------------------------------------------------------------

def mul(a, b):
    return a * b


def test_check_vjp_passes_a_correct_backward():
    a, b = np.array([1.0, 2.0, -0.5]), np.array([3.0, -1.0, 2.0])
    assert check_vjp(mul, lambda u, a, b: (u * b, u * a), a, b).passed
    assert check_vjp(mul, lambda u, a, b: (u * b, u * a), a, b, wrt=1).passed
    assert check_vjp(np.sum, lambda u, a: u * np.ones_like(a), a).passed
    assert check_vjp(lambda m: m @ X, lambda u, m: np.outer(u, X), A).passed
    assert check_vjp(big_f, lambda u, x: u * big_grad(x), BIG).passed


def test_check_vjp_fails_a_swapped_backward():
    a, b = np.array([1.0, 2.0, -0.5]), np.array([3.0, -1.0, 2.0])
    result = check_vjp(mul, lambda u, a, b: (u * a, u * b), a, b)
    assert not result.passed and "upstream gradient" in result.label


def test_check_vjp_fails_a_backward_that_ignores_the_upstream_gradient():
    a, b = np.array([1.0, 2.0, -0.5]), np.array([3.0, -1.0, 2.0])
    result = check_vjp(mul, lambda u, a, b: (b, a), a, b)
    assert not result.passed
    assert "ignores the upstream gradient" in result.diagnosis
    result = check_vjp(np.sum, lambda u, a: np.ones_like(a), a)
    assert not result.passed and "ignores the upstream gradient" in result.diagnosis
    result = check_vjp(big_f, lambda u, x: big_grad(x), BIG)
    assert not result.passed


def test_check_vjp_reports_exceptions_and_shapes():
    def backward(u, a, b):
        raise ValueError("not yet")

    result = check_vjp(mul, backward, [1.0, 2.0], [3.0, 4.0])
    assert result.code == "invalid" and "backward raised ValueError: not yet" in result.diagnosis
    result = check_vjp(mul, lambda u, a, b: (np.sum(u * b), u * a), [1.0, 2.0], [3.0, 4.0])
    assert result.code == "shape"


# --- points where the reference has limits ------------------------------------------------

def test_zero_derivatives_are_checked_absolutely():
    assert check(np.cos, lambda x: -np.sin(x), 0.0).passed
    assert check(lambda x: x**3, lambda x: 3 * x**2, 0.0).passed
    result = check(np.cos, lambda x: -np.sin(x) + 1e-3, 0.0)
    assert not result.passed and result.code == "values"
    assert result.diagnosis == "expected a zero derivative, got 0.001"


def test_unresolvable_points_are_undecided_instead_of_passing_anything():
    # tanh at 20: slope 1.7e-17 beside f = 1, zero within the rounding of f (absolutely)
    assert check(np.tanh, lambda x: 1 / np.cosh(x) ** 2, 20.0).passed
    assert not check(np.tanh, lambda x: 1e-3, 20.0).passed
    infinite = check(np.cbrt, lambda x: np.cbrt(x) ** -2 / 3, 0.0)    # infinite slope
    assert not infinite.passed and infinite.code == "undecided"
    assert "do not settle" in infinite.diagnosis and "another point" in infinite.diagnosis


@pytest.mark.parametrize("f, df, x", [
    (lambda x: np.maximum(x, 0), lambda x: 0.0, 0.0),
    (np.abs, lambda x: np.sign(x), 0.0),
    (lambda x: np.sum(np.maximum(x, 0)), lambda x: (x > 0) * 1.0, [0.5, 0.0, -1.0]),
])
def test_kinks_are_reported_instead_of_a_misleading_verdict(f, df, x):
    # central differences read relu at 0 as 1/2: "expected 0.5" would be no verdict at all
    for result in (check(f, df, x), check_vjp(f, lambda u, x: u * np.asarray(df(x)), x)):
        assert not result.passed and result.code == "not-differentiable"
        assert "not differentiable at this point" in result.diagnosis


def test_difference_quotients_are_evaluated_only_when_needed(monkeypatch):
    from gradcheck import numeric

    made = []
    original = numeric.QuotientModel.quotient

    def counted(self, *args, **kwargs):
        made.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(numeric.QuotientModel, "quotient", counted)
    assert check(np.sin, np.cos, 0.5).passed and not made
    assert check(np.sin, lambda x: np.diag(np.cos(x)), [0.5, 1.0, 3.0]).passed and not made
    assert check(np.sin, lambda x: -np.cos(x), 0.5).code == "sign" and not made
    assert check(np.sin, lambda x: np.float32(np.cos(x)), 0.5).passed and not made
    assert check(np.sin, forward_difference(np.sin, 1e-5), 0.5).code == "difference-quotient"
    assert made
