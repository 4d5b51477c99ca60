"""``results.jsondata``: the indented text ``strict_json`` writes itself is, character for
character, what ``json.dumps`` writes of ``json_data`` (strings for non-finite floats), on
real graded results and on every kind of value; what it does not write, json.dumps does."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from gradcheck.grading import grader
from gradcheck.results.jsondata import json_data, strict_json
from gradcheck.spec import load_sheet
from tests.sample_results import full_sheet, load_error_sheet, perfect_sheet

ROOT = Path(__file__).resolve().parents[1]


def _dumps(data, indent=2):
    return json.dumps(json_data(data), allow_nan=False, indent=indent)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    wrong = tmp_path_factory.mktemp("wrong") / "sheet01.py"
    wrong.write_text((ROOT / "solutions" / "sheet01.py").read_text()
                     + "\n\ndef d_1a(x):\n    return float('nan')\n\n"
                     "def jac_1d(x):\n    return [[0.0, 1.0], [2.0, 3.0]]\n")
    sheet = load_sheet("sheet01")
    return [grader.grade(sheet, path) for path in (ROOT / "solutions" / "sheet01.py", wrong)]


def test_graded_results_are_written_as_json_dumps_writes_them(graded):
    for result in graded:
        data = result.to_dict()
        assert strict_json(data, indent=2) == _dumps(data)
    assert '"nan"' in strict_json(graded[1].to_dict(), indent=2)   # non-finite, as strings


def test_the_sample_results_too_at_every_indent():
    for result in (full_sheet(), load_error_sheet(), perfect_sheet()):
        data = result.to_dict()
        for indent in (0, 1, 2, 4):
            assert strict_json(data, indent=indent) == _dumps(data, indent)


def test_every_kind_of_value():
    data = {"floats": [1.0, -0.0, 1e-300, 1e300, 0.1, math.nan, -math.inf, math.inf],
            "numpy": [np.float64(1.5), np.float64(math.nan), np.float64(-math.inf)],
            "empty": [[], {}, (), [[]], {"x": {}}], "ints": [0, -7, 10**30, True, False],
            "none": None, "tuple": (1, (2, (3,))), "text": "é ü \u2028 \x00 \" \\ \n",
            "é": {"nested": [{"deep": [1, [2, {"deeper": "inf"}]]}]}, "scalar": 3}
    assert strict_json(data, indent=2) == _dumps(data)
    for scalar in (1.5, math.nan, "s", None, True, 3, [], {}):
        assert strict_json(scalar, indent=2) == _dumps(scalar)


def test_what_json_does_not_write_fails_as_json_dumps_fails():
    assert strict_json({1: 2, None: 3}, indent=2) == _dumps({1: 2, None: 3})   # keys as text
    for bad in ({"a": np.int64(3)}, {"a": {1, 2}}, [object()]):
        with pytest.raises(TypeError) as ours:
            strict_json(bad, indent=2)
        with pytest.raises(TypeError) as theirs:
            _dumps(bad)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError):
        strict_json({"a": {math.nan: 1}}, indent=2)   # a key that is not finite


def test_other_options_are_json_dumps_own():
    data = {"a": [1.0, math.inf], "é": "ü"}
    assert strict_json(data, indent=2, ensure_ascii=False) == \
        json.dumps(json_data(data), indent=2, ensure_ascii=False)
    assert strict_json(data, indent="\t") == json.dumps(json_data(data), indent="\t")
