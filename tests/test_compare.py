"""The verdict: right answers pass (float32, tiny beside large), each mistake gets its name
(difference quotients: tests/test_compare_quotients.py)."""

import json
import math

import numpy as np
import pytest

from gradcheck.compare import TOLERANCES, as_numeric, compare, default_rtol, screen
from gradcheck.results import CheckResult

JAC = np.array([[1.5, -2.0, 0.25], [3.0, 0.5, -1.0]])            # (2, 3): 2 outputs, 3 inputs
SQUARE = np.array([[1.0, 2.0, -0.5], [0.3, -1.2, 4.0], [2.5, 0.1, 0.7]])


# --- right answers pass -------------------------------------------------------------------

@pytest.mark.parametrize("received", [
    JAC, JAC.tolist(), JAC.astype(np.float32), JAC * (1 + 1e-9), JAC.astype(np.float64),
])
def test_correct_answers_pass(received):
    result = compare(JAC, received)
    assert result.passed, result
    assert result.code == "ok" and result.diagnosis == ""
    assert result.max_rel_error < 1e-7


def test_python_floats_ints_and_scalars_pass():
    assert compare(2.0, 2.0).passed
    assert compare(np.array(2.0), 2).passed
    assert compare([1.0, 2.0], [1, 2]).passed
    assert compare(np.float64(0.1), np.float32(0.1)).passed


def test_float32_computed_derivatives_pass():
    x = np.linspace(-2, 2, 7)
    for exact, computed in [
        (np.cos(x), np.cos(x.astype(np.float32))),
        (np.exp(x) * (np.sin(x) + np.cos(x)),
         np.exp(np.float32(x)) * (np.sin(np.float32(x)) + np.cos(np.float32(x)))),
        (1 - np.tanh(x) ** 2, 1 - np.tanh(np.float32(x)) ** 2),
    ]:
        assert computed.dtype == np.float32
        assert compare(exact, computed).passed


def test_difference_quotients_fail_where_float32_passes():
    x = np.linspace(-1.5, 1.5, 5)
    for f, df in [(np.sin, np.cos), (np.exp, np.exp), (lambda z: z**3, lambda z: 3 * z**2),
                  (np.tanh, lambda z: 1 - np.tanh(z) ** 2)]:
        assert compare(df(x), df(x).astype(np.float32)).passed
        forward = (f(x + 1e-5) - f(x)) / 1e-5
        central = (f(x + 1e-2) - f(x - 1e-2)) / 2e-2
        assert not compare(df(x), forward).passed
        assert not compare(df(x), central).passed


def test_tiny_entries_beside_large_ones_do_not_fail_on_noise():
    expected = np.array([1e3, 1e-9, -2e-12])
    received = np.array([1e3 * (1 + 1e-10), 3e-9, 0.0])  # tiny entries off by 200%
    result = compare(expected, received)
    assert result.passed, result


def test_error_estimate_widens_the_tolerance():
    expected = np.array([1.0, 2.0])
    received = expected * (1 + 2e-5)
    assert not compare(expected, received).passed
    result = compare(expected, received, error=np.array([1e-4, 1e-4]))
    assert result.passed and result.tolerance == pytest.approx((1e-4 + 2e-6) / 2)


def test_explicit_tolerances_override_the_table():
    assert compare(1.0, 1.001, rtol=1e-2).passed
    assert not compare(1.0, 1.001).passed
    assert compare(0.0, 1e-3, atol=1e-2).passed


def test_default_rtol_table():
    assert default_rtol(np.float32) == TOLERANCES["rtol"]["float32"]
    assert default_rtol(np.float16) == TOLERANCES["rtol"]["float16"] > default_rtol(np.float32)
    assert default_rtol(np.int64) == TOLERANCES["rtol"]["float64"]


def test_empty_arrays_pass():
    assert compare(np.zeros((0, 3)), np.zeros((0, 3))).passed


# --- wrong shape --------------------------------------------------------------------------

def test_wrong_shape_names_both_shapes():
    result = compare(JAC, JAC[0])
    assert not result.passed and result.code == "shape"
    assert result.diagnosis == "wrong shape (3,) — expected (2, 3)"
    assert result.received_shape == (3,) and result.expected_shape == (2, 3)
    assert math.isinf(result.max_rel_error)


def test_transposed_shape_says_so_and_whether_values_fit():
    result = compare(JAC, JAC.T)
    assert result.code == "shape"
    assert result.diagnosis == ("shape (3, 2) is the transpose of the expected (2, 3); "
                                "its transpose matches")
    other = compare(JAC, np.ones((3, 2)))
    assert other.diagnosis == "shape (3, 2) is the transpose of the expected (2, 3)"


def test_transposed_shape_of_a_jacobian_with_several_output_axes():
    expected = np.arange(24.0).reshape(2, 3, 4) + 1
    received = np.transpose(expected, (2, 0, 1))  # input axis first
    result = compare(expected, received, out_ndim=2)
    assert "is the transpose of the expected (2, 3, 4); its transpose matches" in result.diagnosis


def test_squeezed_and_reshaped_entries():
    result = compare(JAC, JAC.reshape(1, 2, 3))
    assert result.code == "shape"
    assert "the same entries squeezed to (2, 3) match" in result.diagnosis
    assert "reshaped to (2, 3) match" in compare(JAC, JAC.reshape(6)).diagnosis
    assert "same number of entries" in compare(JAC, np.ones(6)).diagnosis
    assert "expected () (a scalar)" in compare(2.0, [2.0]).diagnosis


def test_screen_checks_what_needs_no_expected_values():
    arr, failure = screen((2, 3), JAC.astype(np.float32))
    assert failure is None and arr.dtype == np.float32
    story = "shape (3, 2) is the transpose of the expected (2, 3)"
    assert screen((2, 3), JAC.T)[1].diagnosis == story
    assert screen((2,), [1.0, np.inf])[1].code == "nonfinite"
    assert screen((2,), "x")[1].code == "invalid"


# --- not numbers, NaN ---------------------------------------------------------------------

@pytest.mark.parametrize("received, phrase", [
    (None, "None"), ("1.5", "string"), ([True, False, True], "booleans"),
    ([1 + 2j, 0, 1], "complex"), ([[1.0, 2.0], [3.0]], "not an array of numbers"),
    (object(), "not an array of numbers"), ({"a": 1}, "not an array of numbers"),
])
def test_non_numeric_answers_are_invalid(received, phrase):
    result = compare(np.ones(3), received)
    assert not result.passed and result.code == "invalid"
    assert phrase in result.diagnosis


def test_as_numeric_keeps_float32_and_converts_ints():
    from fractions import Fraction

    assert as_numeric(np.ones(2, np.float32))[0].dtype == np.float32
    assert as_numeric([1, 2])[0].dtype == np.float64
    assert as_numeric([Fraction(1, 2), Fraction(3, 4)])[0].tolist() == [0.5, 0.75]
    assert as_numeric(np.array([1.0, None], dtype=object))[0] is None


def test_nan_and_inf_are_located():
    received = JAC.copy()
    received[1, 2] = np.nan
    received[0, 1] = np.inf
    result = compare(JAC, received)
    assert result.code == "nonfinite"
    assert result.diagnosis == "received NaN and inf at [0, 1] and 1 more entries"
    assert result.worst_index == (0, 1) and result.expected == -2.0
    assert compare(1.0, np.nan).diagnosis == "received NaN"


# --- structured mistakes ------------------------------------------------------------------

def test_transposed_square_jacobian():
    result = compare(SQUARE, SQUARE.T)
    assert not result.passed and result.code == "transposed"
    assert "transposed" in result.diagnosis
    assert result.worst_index is not None


def test_transposed_gradient_of_a_matrix_input():
    # a scalar function of a square matrix: no output axes, but the transpose is still a slip
    assert compare(SQUARE, SQUARE.T, out_ndim=0).code == "transposed"


def test_sign_flipped():
    result = compare(JAC, -JAC)
    assert result.code == "sign"
    assert result.diagnosis == "sign flipped: received is -1 x the expected derivative"
    assert compare(2.5, -2.5).code == "sign"


@pytest.mark.parametrize("factor, name", [
    (2, "2"), (0.5, "1/2"), (3, "3"), (-2, "-2"), (1 / 3, "1/3"), (1.5, "3/2"),
    (math.pi, "π"), (2 * math.pi, "2π"), (1 / (2 * math.pi), "1/(2π)"), (1.2345, "1.234"),
])
def test_constant_factor_is_a_nice_number(factor, name):
    result = compare(JAC, factor * JAC)
    assert result.code == "factor", result
    assert result.diagnosis == (f"off by a constant factor {name}: received = {name} x the "
                                "expected derivative")


def test_factor_of_a_scalar_only_when_nice():
    assert compare(1.7, 3.4).code == "factor"
    result = compare(1.7, 0.4)
    assert result.code == "values" and result.diagnosis == "wrong value"


def test_one_entry_wrong():
    received = JAC.copy()
    received[1, 2] = 7.0
    result = compare(JAC, received)
    assert result.code == "entry"
    assert result.diagnosis == ("one entry is wrong: [1, 2] (expected -1, got 7); "
                                "all others match")
    assert result.worst_index == (1, 2) and result.received == 7.0


def test_one_row_wrong():
    received = JAC.copy()
    received[1] += [0.5, 1.0, -2.0]
    result = compare(JAC, received)
    assert result.code == "row"
    assert result.diagnosis == "row 1 is wrong (3 of 3 entries); the other rows match"


def test_one_column_wrong():
    received = JAC.copy()
    received[:, 2] = 0.0
    result = compare(JAC, received)
    assert result.code == "column"
    assert result.diagnosis == "column 2 is wrong (2 of 2 entries); the other columns match"


def test_rows_and_columns_follow_output_and_input_axes():
    expected = np.arange(1.0, 19.0).reshape(3, 3, 2)     # d f(A) / d A, f: R^{3x2} -> R^3
    received = expected.copy()
    received[:, 1, 0] += 5.0                            # input entry A[1, 0] wrong everywhere
    result = compare(expected, received, out_ndim=1)
    assert result.code == "column"
    assert result.diagnosis.startswith("column [1, 0] is wrong")
    received = expected.copy()
    received[2] *= -1                                   # output 2 wrong
    assert compare(expected, received, out_ndim=1).diagnosis.startswith("row 2 is wrong")


def test_projections_get_no_row_or_entry_diagnosis():
    received = JAC.copy()
    received[1, 2] = 7.0
    assert compare(JAC, received, structure=False).code == "values"
    assert compare(SQUARE, SQUARE.T, structure=False).code != "transposed"


def test_row_and_column_diagnoses_of_a_large_jacobian():
    expected = np.eye(600)
    received = expected.copy()
    received[:, 7] += 0.5
    assert compare(expected, received).diagnosis.startswith("column 7 is wrong (600 of 600")
    received = expected.copy()
    received[3, 1:] += 0.5
    assert compare(expected, received).diagnosis.startswith("row 3 is wrong (599 of 600")


def test_unrelated_candidates_do_not_match():
    candidates = {"forward difference, h=0.01": JAC * 1.01}
    result = compare(JAC, JAC + np.array([[0, 0, 0], [0, 0.3, 0.1]]), candidates=candidates)
    assert result.code == "row"


def test_a_zero_derivative_expected_is_said_plainly():
    # not "close but not exact ... 3.14 for π?": there is no constant to round
    result = compare(0.0, 1e-3)
    assert result.code == "values" and result.diagnosis == "expected a zero derivative, got 0.001"
    result = compare(np.zeros((2, 2)), np.array([[0.0, 1e-3], [-2e-3, 0.0]]))
    assert result.diagnosis == "expected a zero derivative (all entries 0), got -0.002 at [1, 0]"
    result = compare(np.zeros(3), np.full(3, 1e-3), structure=False)
    assert result.diagnosis.startswith("expected a zero derivative (all projections 0)")


def test_one_scale_for_the_whole_derivative_hides_errors_beside_large_entries():
    # documented in docs/checking.md: the price of judging every entry against max|J|
    assert compare(np.array([[1e8, 0], [0, 3.0]]), np.array([[1e8, 0], [0, 2.0]])).passed
    assert not compare(np.array([3.0]), np.array([2.0])).passed


def test_close_but_not_exact():
    received = JAC * (1 + 5.1e-4 * np.array([[1, -1, 0.5], [0.2, -0.7, 1]]))
    result = compare(JAC, received)
    assert result.code == "close"
    assert result.diagnosis.startswith("close but not exact: relative error ")
    assert "3.14 for π" in result.diagnosis


def test_wrong_values_and_zero():
    rng = np.random.default_rng(0)
    result = compare(JAC, rng.standard_normal(JAC.shape))
    assert result.code == "values" and result.diagnosis.startswith("wrong values: ")
    assert compare(JAC, np.zeros_like(JAC)).diagnosis == "received is zero everywhere"


def test_expected_must_be_finite():
    with pytest.raises(ValueError):
        compare([1.0, np.nan], [1.0, 1.0])


def test_results_name_the_worst_entry_and_round_trip_through_json():
    received = JAC.copy()
    received[0, 2] = 9.0
    result = compare(JAC, received, label="df/dx")
    assert result.worst_index == (0, 2) and result.expected == 0.25 and result.received == 9.0
    assert result.max_abs_error == pytest.approx(8.75)
    assert result.max_rel_error == pytest.approx(8.75 / 3.0)
    text = str(result)
    assert "df/dx: FAILED: one entry is wrong" in text and "worst entry [0, 2]" in text
    for r in (result, compare(JAC, JAC[0]), compare(JAC, np.full(JAC.shape, np.nan))):
        data = json.loads(json.dumps(r.to_dict(), allow_nan=False))
        assert CheckResult.from_dict(data).to_dict() == r.to_dict()
