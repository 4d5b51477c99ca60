import json
import math

from gradcheck.results import (
    FAIL,
    PASS,
    CheckResult,
    ExerciseResult,
    PointResult,
    SheetResult,
    decode_float,
    encode_float,
)


def _check(passed=True, rel=1e-9):
    return CheckResult(passed=passed, code="ok" if passed else "sign",
                       diagnosis="" if passed else "sign flipped", max_abs_error=rel,
                       max_rel_error=rel, tolerance=1e-6, worst_index=(1, 0), expected=2.0,
                       received=2.0 if passed else -2.0, expected_shape=(2, 3),
                       received_shape=(2, 3), label="df/dx")


def _sheet():
    good = PointResult(status=PASS, inputs={"x": [1.0, 2.0]}, checks=(_check(),))
    bad = PointResult(status=FAIL, inputs={"x": 0.5}, checks=(_check(False, float("nan")),),
                      message="sign flipped")
    ex = ExerciseResult(id="1d", title="Jacobian", kind="derivative", student="jac_1d",
                        points=2.0, score=1.0, status=FAIL, message="sign flipped",
                        checks=(good, bad), filename="sheet01.py", line_no=7)
    return SheetResult(sheet="sheet01", title="t", module="sheet01", submission="sheet01.py",
                       score=1.0, max_score=2.0, manual_points=36.0, seed=3, spec_sha256="ab",
                       gradcheck_version="0.1.0", exercises=(ex,))


def test_non_finite_floats_round_trip_as_strings():
    assert encode_float(float("nan")) == "nan"
    assert encode_float(float("-inf")) == "-inf"
    assert math.isnan(decode_float("nan"))
    assert decode_float("inf") == float("inf")
    assert encode_float(1.5) == 1.5


def test_sheet_result_round_trips_through_json():
    sheet = _sheet()
    data = json.loads(json.dumps(sheet.to_dict(), allow_nan=False))
    again = SheetResult.from_dict(data)
    assert again.to_dict() == sheet.to_dict()
    assert again.exercises[0].checks[1].checks[0].code == "sign"
    assert again.exercises[0].points_passed == 1
    assert not again.passed


def test_check_result_str_names_worst_entry():
    text = str(_check(False, 0.5))
    assert "FAILED: sign flipped" in text
    assert "[1, 0]" in text and "expected 2" in text and "got -2" in text
    assert str(_check()).startswith("df/dx: ok")


def test_worst_error_counts_nan_as_worst_whatever_the_order():
    sheet = _sheet()
    ex = sheet.exercises[0]
    assert math.isnan(ex.worst_error)
    reordered = type(ex)(**{**ex.__dict__, "checks": tuple(reversed(ex.checks))})
    assert math.isnan(reordered.worst_error)
    assert ex.checks[0].max_rel_error == 1e-9


def test_strict_json_writes_finite_data_as_json_data_does():
    import numpy as np

    from gradcheck.results.jsondata import json_data, strict_json

    finite = {"a": (1.0, np.float64(0.1), 2), "b": [{"c": -3.5e-300, "d": None, "e": True}],
              "f": "nan"}
    assert strict_json(finite) == json.dumps(json_data(finite))
    assert strict_json(finite, separators=(",", ":")) == \
        json.dumps(json_data(finite), separators=(",", ":"))
    deep = {"a": [{"b": (1.0, np.float64(math.inf))}], "c": math.nan}
    assert strict_json(deep) == '{"a": [{"b": [1.0, "inf"]}], "c": "nan"}'
