"""--format json: the full SheetResult as strict, stable JSON."""

import json
import math
import re

import pytest

from gradcheck.render.json import to_json
from gradcheck.results import SheetResult
from tests.sample_results import full_sheet, load_error_sheet


def test_json_is_the_full_result_in_stable_order():
    sheet = full_sheet()
    data = json.loads(to_json(sheet))
    assert list(data) == list(sheet.to_dict())
    for key in ("sheet", "score", "max_score", "seed", "spec_sha256", "gradcheck_version",
                "exercises"):
        assert key in data
    ex = data["exercises"][1]
    assert {"id", "title", "kind", "student", "points", "score", "status", "message",
            "checks"} <= set(ex)
    assert (ex["id"], ex["score"], ex["points"], ex["status"]) == ("1b", 1.2, 2.0, "fail")
    assert len(ex["checks"]) == 5 and ex["checks"][2]["inputs"] == {"x": -1.5, "mu": 0.2,
                                                                    "sigma": 1.3}


def test_json_is_strict_and_round_trips_non_finite_errors():
    text = to_json(full_sheet())
    assert not re.search(r"[:\[,]\s*-?(NaN|Infinity)\b", text)
    json.loads(text, parse_constant=lambda name: pytest.fail(f"non-standard {name}"))
    again = SheetResult.from_dict(json.loads(text))
    assert again.to_dict() == full_sheet().to_dict()
    assert math.isnan(again.exercises[2].checks[0].checks[0].max_rel_error)


def test_json_keeps_the_load_error_and_is_indented():
    text = to_json(load_error_sheet())
    assert json.loads(text)["load_error"].startswith("SyntaxError")
    assert text.startswith('{\n  "sheet": "sheet01",')
