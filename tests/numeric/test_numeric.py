"""Finite differences: accuracy on the benchmark functions, error estimates, safety."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from benchmarks.accuracy import CASES, HARD, relative_error
from gradcheck import check, numeric
from gradcheck.errors import EvaluationError, UsageError


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_jacobian_matches_hand_written_derivative(case):
    exact = np.asarray(case.exact(np.asarray(case.x, dtype=float)), dtype=float)
    est = numeric.jacobian(case.f, case.x)
    assert est.value.shape == exact.shape == est.error.shape
    assert relative_error(est.value, exact) <= 1e-8, case.name   # the worst case
    # the error estimate covers the actual error (compare relies on it for its tolerance)
    scale = np.max(np.abs(exact))
    assert np.all(np.abs(est.value - exact) <= est.error + 1e-15 * scale), case.name


@pytest.mark.parametrize("case", HARD, ids=[c.name for c in HARD])
def test_jacobian_at_hard_points(case):
    # near poles and singularities, at 1e4, badly scaled, oscillating, zeros, large logits
    exact = np.asarray(case.exact(np.asarray(case.x, dtype=float)), dtype=float)
    est = numeric.jacobian(case.f, case.x)
    assert relative_error(est.value, exact) <= 1e-8, case.name
    scale = np.max(np.abs(exact))   # slack: the rounding of the hand-written formula itself
    assert np.all(np.abs(est.value - exact) <= est.error + 1e-12 * scale), case.name


def test_a_whole_check_takes_few_evaluations_per_entry():
    from gradcheck import check

    counts = []
    for case in CASES:
        calls = [0]

        def counted(z, f=case.f, calls=calls):
            calls[0] += 1
            return f(z)

        exact = case.exact(np.asarray(case.x, dtype=float))
        assert check(counted, lambda *a, d=exact: d, case.x).passed, case.name
        counts.append(calls[0] / max(np.size(case.x), 1))
    assert np.median(counts) <= 20


def test_median_and_worst_accuracy_over_all_functions():
    errors = []
    for case in CASES + HARD:
        exact = np.asarray(case.exact(np.asarray(case.x, dtype=float)), dtype=float)
        errors.append(relative_error(numeric.jacobian(case.f, case.x).value, exact))
    assert len(errors) >= 30
    assert np.median(errors) <= 1e-10   # the targets
    assert max(errors) <= 1e-8


def test_plain_differences_are_much_worse_on_the_same_functions():
    # the benchmark's point of comparison: a fixed absolute step fails near singularities
    from benchmarks.accuracy import central

    case = next(c for c in CASES if c.name == "log at 1e-9")
    value, _ = central(case.f, case.x)
    assert not np.isfinite(relative_error(value, case.exact(case.x)))


def test_layout_is_output_shape_then_input_shape():
    a = np.arange(6.0).reshape(2, 3)
    est = numeric.jacobian(lambda m: m @ np.ones(3), a)
    assert est.value.shape == (2, 2, 3)
    expected = np.zeros((2, 2, 3))
    expected[0, 0, :] = expected[1, 1, :] = 1.0
    np.testing.assert_allclose(est.value, expected, atol=1e-12)


def test_scalar_input_is_passed_as_float64_scalar_and_evaluations_are_counted():
    seen = []

    def f(x):
        seen.append(x)
        return x**2

    est = numeric.jacobian(f, 3)
    assert est.value.shape == () and abs(float(est.value) - 6.0) < 1e-12
    assert est.evaluations == len(seen)
    assert all(isinstance(x, np.float64) for x in seen)


def test_f_gets_fresh_float64_copies_and_may_modify_them():
    x = np.array([1, 2, 3])

    def f(z):
        assert z.dtype == np.float64
        out = np.sum(z**2)
        z[:] = 99.0  # vandalism must not leak into other evaluations
        return out

    est = numeric.jacobian(f, x)
    np.testing.assert_allclose(est.value, [2.0, 4.0, 6.0], rtol=1e-12)
    assert x.tolist() == [1, 2, 3]


def test_never_fails_on_functions_undefined_across_zero():
    # math.sqrt raises on negatives: the absolute ladder is discarded, the relative one works
    est = numeric.jacobian(lambda x: math.sqrt(x), 1e-10)
    assert abs(float(est.value) / (0.5 / math.sqrt(1e-10)) - 1) < 1e-10
    est = numeric.jacobian(lambda x: np.log(x), np.array([1e-9, 3e-5, 0.2]))
    np.testing.assert_allclose(np.diag(est.value), 1 / np.array([1e-9, 3e-5, 0.2]), rtol=1e-10)


def test_numpy_warnings_are_suppressed():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        numeric.jacobian(np.log, np.array([1e-3, 0.5]))
        numeric.jacobian(np.sqrt, 1e-8)
        numeric.directional(np.log, np.full(4, 1e-3), numeric.random_directions(4, 2))


def test_no_finite_step_gives_nan_with_infinite_error():
    est = numeric.jacobian(lambda x: np.array([x[0] ** 2, np.nan]), np.array([1.0]))
    assert abs(est.value[0, 0] - 2.0) < 1e-12 and np.isfinite(est.error[0, 0])
    assert np.isnan(est.value[1, 0]) and est.error[1, 0] == np.inf


def test_bad_input_raises():
    with pytest.raises(UsageError, match="finite"):
        numeric.jacobian(np.sin, np.array([1.0, np.nan]))
    with pytest.raises(EvaluationError, match="shape"):
        numeric.jacobian(lambda x: np.ones(2) if x > 1 else np.ones(3), 1.0)
    with pytest.raises(UsageError):
        numeric.jacobian(np.sin, 1.0, step_ratio=1.0)
    with pytest.raises(UsageError):
        numeric.jacobian(np.sin, 1.0, num_steps=2)


def test_options_change_the_work_done():
    # the options shape the full ladders, taken where the short one does not settle (float32)
    def exp32(z):
        return np.exp(np.float32(z))

    few = numeric.jacobian(exp32, 1.5, num_steps=6)
    many = numeric.jacobian(exp32, 1.5)
    assert few.evaluations == 13 < many.evaluations
    assert abs(float(few.value) - math.exp(1.5)) < 1e-3 * math.exp(1.5)


def test_the_short_ladder_stops_early_on_smooth_functions():
    est = numeric.jacobian(np.exp, np.array([1.5, -0.3, 2e-3]), value=np.exp([1.5, -0.3, 2e-3]))
    assert est.evaluations <= 3 * 10
    assert np.max(np.abs(est.value - np.diag(np.exp([1.5, -0.3, 2e-3])))) < 1e-11


def test_directional_derivatives_match_projections_of_the_gradient():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(10_000)
    v = numeric.random_directions(x.shape, 3, seed=4)
    est = numeric.directional(lambda z: np.sum(np.sin(z) * z), x, v)
    exact = v @ (np.sin(x) + x * np.cos(x))
    assert est.value.shape == (3,)
    np.testing.assert_allclose(est.value, exact, rtol=1e-9)
    assert np.all(np.abs(est.value - exact) <= est.error + 1e-15 * np.max(np.abs(exact)))


def test_directional_layout_for_vector_outputs_and_cost_independent_of_size():
    a = np.random.default_rng(0).standard_normal((2, 3))
    x = np.array([0.1, 0.2, 0.3])
    v = numeric.random_directions(3, 4, seed=1)
    est = numeric.directional(lambda z: np.tanh(a @ z), x, v)
    exact = ((1 - np.tanh(a @ x) ** 2)[:, None] * a) @ v.T
    assert est.value.shape == (4, 2)
    np.testing.assert_allclose(est.value, exact.T, rtol=1e-9, atol=1e-12)
    big = numeric.directional(np.sum, np.ones(100_000), numeric.random_directions(100_000, 2))
    small = numeric.directional(np.sum, np.ones(10), numeric.random_directions(10, 2))
    assert big.evaluations == small.evaluations <= 2 * 2 * 6 + 1


@pytest.mark.parametrize("f, grad", [(np.log, lambda z: 1 / z),
                                     (np.sqrt, lambda z: 0.5 / np.sqrt(z))])
def test_directional_steps_stay_inside_the_domain_when_they_must(f, grad):
    # steps scaled by rms(x) ~ 0.6 push entries near 0.01 across 0: f is NaN there
    x = np.random.default_rng(5).uniform(0.01, 1.0, 10_000)
    v = numeric.random_directions(x.shape, 3, seed=2)
    est = numeric.directional(lambda z: np.sum(f(z)), x, v)
    exact = v @ grad(x)
    assert np.all(np.abs(est.value - exact) <= est.error)
    assert np.max(est.error) < 1e-8 * np.max(np.abs(exact))


def test_directional_rejects_mismatched_directions():
    with pytest.raises(UsageError, match="directions"):
        numeric.directional(np.sum, np.ones(3), np.ones((2, 4)))


def test_random_directions_are_seeded_and_normalised():
    a = numeric.random_directions((2, 3), 5, seed=7)
    assert a.shape == (5, 2, 3)
    np.testing.assert_array_equal(a, numeric.random_directions((2, 3), 5, seed=7))
    assert not np.array_equal(a, numeric.random_directions((2, 3), 5, seed=8))
    np.testing.assert_allclose(np.sqrt(np.mean(a.reshape(5, -1) ** 2, axis=1)), 1.0)


@settings(max_examples=25, deadline=None)
@given(coefficients=st.lists(st.floats(-5, 5), min_size=2, max_size=6),
       x=st.floats(-3, 3))
@example(coefficients=[0.0, 0.0, 0.0, 0.0, 0.0, 1.0], x=0.0)   # x**5 at 0: see below
def test_polynomials_at_random_points(coefficients, x):
    poly = np.polynomial.Polynomial(coefficients)
    exact = poly.deriv()(x)
    scale = max(abs(exact), np.max(np.abs(poly.deriv().coef)) if len(coefficients) > 1 else 0)
    est = numeric.jacobian(poly, x)
    assert abs(float(est.value) - exact) <= 1e-9 * max(scale, 1e-300) + float(est.error)


@pytest.mark.parametrize("power", [5, 7, 9, 11])
def test_an_odd_power_at_zero_settles_on_its_zero_derivative(power):
    # the differences fall as h**(power - 1): past the Richardson terms they never converge
    # relative to themselves and meet no rounding floor (nothing rounds near 0)
    est = numeric.jacobian(lambda z: z ** power, 0.0)
    assert float(est.error) < 1e-20 and abs(float(est.value)) <= float(est.error)
    assert check(lambda z: z ** power, lambda z: power * z ** (power - 1), 0.0).passed
    wrong = check(lambda z: z ** power, lambda z: 1e-4 + 0 * z, 0.0)
    assert not wrong.passed and wrong.code not in ("undecided", "not-differentiable")


@pytest.mark.parametrize("x", [1e2, 1e4, 1e5, 1e6, 1e8])
def test_large_magnitudes_also_take_steps_on_the_scale_of_one(x):
    # sin varies on a scale of 1 wherever it is: steps relative to |x| alone are far too big
    est = numeric.jacobian(np.sin, x)
    assert abs(float(est.value) - math.cos(x)) <= float(est.error) < 1e-9
    assert abs(float(est.value) - math.cos(x)) < 1e-11
    offset = numeric.jacobian(lambda z: np.tanh(z - x), x + 0.5)
    assert abs(float(offset.value) - (1 - math.tanh(0.5) ** 2)) < 1e-11


@pytest.mark.parametrize("f, grad, x", [
    (lambda z: np.sum(np.exp(np.float32(z))), np.exp, np.array([0.5, 1.5, 2.0])),
    (lambda z: np.sum(z.astype(np.float32) ** 2), lambda z: 2 * z, np.linspace(0.1, 3, 300)),
    (lambda z: np.sin(np.float32(z)), np.cos, np.array([100.0, 200.3])),
])
def test_error_estimates_count_the_rounding_of_lower_precision_functions(f, grad, x):
    exact = np.diag(grad(x)) if np.ndim(f(x)) else grad(x)
    est = numeric.jacobian(f, x)
    assert np.all(np.abs(est.value - exact) <= est.error), np.max(np.abs(est.value - exact))
    assert np.max(est.error) < 1e-2 * np.max(np.abs(exact))
    v = numeric.random_directions(x.shape, 2, seed=0)
    along = numeric.directional(f, x, v)
    projected = np.tensordot(v, exact, axes=x.ndim) if exact.ndim == x.ndim else v @ exact.T
    assert np.all(np.abs(along.value - projected) <= along.error)


def test_a_window_that_looks_converged_must_agree_with_smaller_steps():
    # steps 50, 25, 12.5, 6.25 lie near multiples of 2 pi: sin(100 + h) - sin(100 - h) is
    # nearly proportional to h there, so those windows agree on a wrong value
    est = numeric.jacobian(lambda z: np.sin(np.float32(z)), 100.0)
    assert abs(float(est.value) - math.cos(100.0)) <= float(est.error) < 1e-3


@pytest.mark.parametrize("f, x", [
    (np.abs, np.array([0.0, 1.0])),
    (lambda z: np.sum(np.maximum(z, 0)), np.r_[0.0, np.linspace(0.1, 1, 1000)]),
    (lambda z: np.maximum(z, -z), 0.0),
    (lambda z: np.abs(z - 1e6), 1e6),
    (lambda z: np.maximum(np.float32(z), 0), 0.0),
    (lambda z: np.abs(z - 3e-6), 0.0),    # within 1e-5 (of its scale, 1) of the kink
])
def test_kinks_are_seen(f, x):
    v = numeric.random_directions(np.shape(x), 1, seed=0)[0]
    assert numeric.kink(f, x, v)


@pytest.mark.parametrize("f, x", [
    (np.abs, np.array([0.5, -1.0])),
    (lambda z: z**3, 0.0),
    (np.cos, 0.0),
    (lambda z: np.abs(z), 3e-4),
    (lambda z: (1e8 + z) - 1e8 + z**2, 0.5),                     # rounding noise of 1e-8
    (lambda z: np.sum(np.exp(z.astype(np.float32))), np.linspace(0.1, 1, 50)),
    (lambda z: np.sum((z - 1e6) ** 2), np.full(3, 1e6)),
    (np.log, 1e-9),                                               # undefined next to x
    (lambda z: np.abs(z), 3e-6),        # each entry steps on its own scale: smooth at 3e-6
    (lambda z: np.sum(np.sin(z)), np.full(4, 1e4) + np.arange(4)),   # steps 1e-3, not 10
])
def test_smooth_or_noisy_functions_have_no_kink(f, x):
    v = numeric.random_directions(np.shape(x), 1, seed=0)[0]
    assert not numeric.kink(f, x, v)


def test_steps_reaching_past_a_kink_nearby_do_not_decide():
    # minimum(a(x), b(x)) with a tie 4e-3 away along x[0]: the large steps see b's slope and
    # agree on it; the small ones see a, which does not depend on x[0]
    def f(z):
        return np.minimum(np.cos(np.cos(z[2])), np.exp(z[2]) / np.sum(np.exp(z)))

    x = np.array([-0.60140924, -0.82288325, 0.30638338])
    est = numeric.jacobian(f, x)
    assert np.all(np.abs(est.value[:2]) <= est.error[:2]) and np.all(est.error[:2] < 1e-10)


def test_kink_test_reports_a_function_that_changes_shape():
    with pytest.raises(EvaluationError, match="shape"):
        numeric.kink(lambda z: np.ones(3) if z[0] > 1 else np.ones(2), np.ones(2), np.ones(2))


def test_zero_derivatives_are_resolved_as_zero():
    for f, x in [(np.cos, 0.0), (lambda z: z**3, 0.0), (lambda z: z**2 + 5.0, 0.0)]:
        est = numeric.jacobian(f, x)
        assert abs(float(est.value)) <= float(est.error) < 1e-12


def test_derivatives_that_do_not_settle_are_nan():
    est = numeric.jacobian(np.cbrt, 0.0)          # infinite slope at 0
    assert np.isnan(est.value) and est.error == np.inf
    est = numeric.jacobian(np.tanh, 20.0)         # slope 1.7e-17, far below f's rounding
    assert np.isnan(est.value) or abs(float(est.value) - 1.7e-17) <= float(est.error)


@pytest.mark.parametrize("name, f, grad, x", [
    ("sin at 1e3 scale", lambda z: np.sum(np.sin(z)), np.cos,
     1e3 * np.random.default_rng(1).standard_normal(20_000)),
    ("log in (0.5, 2)", lambda z: np.sum(np.log(z)), lambda z: 1 / z,
     np.random.default_rng(2).uniform(0.5, 2, 20_000)),
    ("exp at 30", lambda z: np.sum(np.exp(z)), np.exp,
     30 + np.random.default_rng(3).standard_normal(20_000)),
    ("tanh of small weights", lambda z: np.sum(np.tanh(50 * z)),
     lambda z: 50 / np.cosh(50 * z) ** 2, 1e-2 * np.random.default_rng(4).standard_normal(20_000)),
])
def test_directional_error_estimates_cover_the_actual_error(name, f, grad, x):
    v = numeric.random_directions(x.shape, 3, seed=0)
    est = numeric.directional(f, x, v)
    exact = v @ grad(x)
    scale = np.max(np.abs(exact))
    assert np.max(np.abs(est.value - exact)) <= 1e-8 * scale, name
    assert np.all(np.abs(est.value - exact) <= est.error + 1e-15 * scale), name
