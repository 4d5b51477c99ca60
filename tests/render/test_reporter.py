"""The Classroom total: gradcheck's scores, added up as the grading reporter adds them,
print the total of gradcheck's table, for every pattern of partial credit on sheet01.

The model (``render.reporter``) always runs; where node is installed, the reporter's own
code (tests/render/reporter/src, unchanged) runs on the same results.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcheck.render.common import fmt_num
from gradcheck.render.github import classroom_result
from gradcheck.render.reporter import js_number, reporter_scores, reporter_total
from gradcheck.results import ERROR, FAIL, PASS, ExerciseResult, SheetResult
from gradcheck.spec import bundled_sheets, load_sheet

SHEET = load_sheet("sheet01")
POINTS = [e.points for e in SHEET.automatic]
FRACTIONS = (3, 5, 6)          # a third, a fifth, a sixth of an exercise's test points
RUN_JS = Path(__file__).parent / "reporter" / "run.js"


def sheet(scores, statuses=None) -> SheetResult:
    exercises = tuple(
        ExerciseResult(id=e.id, title=e.title, kind=e.kind, student=e.student,
                       points=e.points, score=s,
                       status=(statuses or {}).get(e.id) or (PASS if s == e.points else FAIL))
        for e, s in zip(SHEET.automatic, scores, strict=True))
    return SheetResult(sheet="sheet01", title="", module="sheet01", submission="sheet01.py",
                       score=sum(scores), max_score=SHEET.max_score, manual_points=0.0,
                       seed=1, spec_sha256="", gradcheck_version="0", exercises=exercises)


def js_sum(values) -> float:
    return functools.reduce(lambda a, b: a + b, values, 0.0)


def check(scores) -> dict:
    result = classroom_result(sheet(scores))
    sent = [t["score"] for t in result["tests"]]
    assert reporter_total([result]) == (fmt_num(sum(scores)), "100")
    for mine, true in zip(sent, scores, strict=True):
        assert abs(mine - true) <= 0.01 + 1e-9
    return result


def one_partial_each():
    """Every exercise alone at every k/n of its points (n = 3, 5, 6), the rest full or 0."""
    for i, n in itertools.product(range(len(POINTS)), FRACTIONS):
        for k in range(1, n):
            for rest in (1.0, 0.0):
                scores = [p * rest for p in POINTS]
                scores[i] = POINTS[i] * k / n
                yield scores


def all_partial():
    """Every exercise at the same k/n (n = 3, 5, 6), and the two thirds/one third mixes."""
    for n in FRACTIONS:
        for k in range(n + 1):
            yield [p * k / n for p in POINTS]
    for pattern in itertools.product((1 / 3, 2 / 3), repeat=4):
        yield [p * pattern[i % 4] for i, p in enumerate(POINTS)]


def test_the_naive_sum_shows_the_bug_the_scores_avoid():
    scores = list(POINTS)
    scores[0] = POINTS[0] / 6                                     # 1a: 1 of 6 test points
    assert js_number(js_sum(scores)) != fmt_num(sum(scores))
    check(scores)


@pytest.mark.parametrize("scores", list(one_partial_each()) + list(all_partial()))
def test_every_single_and_uniform_partial_credit_adds_up(scores):
    check(scores)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FRACTIONS), st.integers(0, 6)),
                min_size=len(POINTS), max_size=len(POINTS)))
def test_any_mix_of_partial_credit_adds_up(parts):
    check([p * min(k, n) / n for p, (n, k) in zip(POINTS, parts, strict=True)])


def test_scores_are_the_cents_when_they_already_add_up():
    assert reporter_scores([2 / 3, 1 / 3], 1.0) == [0.67, 0.33]
    assert reporter_scores([0.0, 0.0], 0.0) == [0.0, 0.0]


def test_error_messages_start_with_the_exercise_id():
    scores = list(POINTS)
    scores[2] = 0.0
    result = classroom_result(sheet(scores, {"1c": ERROR}))
    errors = [t for t in result["tests"] if t["status"] == "error"]
    assert [t["message"].split(":")[0] for t in errors] == ["1c"]
    assert all(not t["message"].startswith(t["name"].split()[0] + ":")
               for t in result["tests"] if t["status"] != "error")


# -- the reporter itself, in node --------------------------------------------------------

def run_reporter(encoded: list[str | None]) -> list[dict]:
    done = subprocess.run(["node", str(RUN_JS)], input=json.dumps(encoded), text=True,
                          capture_output=True, timeout=120, check=True)
    return json.loads(done.stdout)


def encode(result: dict) -> str:
    return base64.b64encode(json.dumps(result).encode()).decode()


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_real_reporter_prints_the_table_total():
    cases = list(itertools.islice(one_partial_each(), 0, None, 7)) + list(all_partial())
    results = [classroom_result(sheet(s)) for s in cases]
    records = run_reporter([encode(r) for r in results])
    for scores, record in zip(cases, records, strict=True):
        assert record["notices"][0] == {"message": f"Points {fmt_num(sum(scores))}/100",
                                        "title": "Autograding complete"}
        assert json.loads(record["notices"][1]["message"])["totalPoints"] == float(
            fmt_num(sum(scores)))


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_real_reporter_on_errors_and_empty_results():
    scores = list(POINTS)
    scores[2] = 0.0
    broken = classroom_result(sheet(scores, {"1c": ERROR}))
    records = run_reporter([encode(broken), "", None])
    assert any(line.startswith("Error: 1c: 0/2 points (error)") for line in records[0]["log"])
    assert records[0]["failed"] == "Some tests failed."   # status "fail": it loaded
    # An empty output (the grading step failed before writing it) and a missing variable.
    assert records[1]["failed"] == "Unexpected end of JSON input"
    assert records[1]["notices"] == []
    assert records[2]["failed"].startswith("The first argument must be of type string")


@pytest.mark.parametrize("name", bundled_sheets())
def test_every_bundled_sheet_adds_up_for_random_partial_credit(name):
    import random

    sheet = load_sheet(name)
    points = [e.points for e in sheet.automatic]
    rng = random.Random(name)
    for _ in range(300):
        scores = [p * rng.randint(0, n) / n
                  for p, n in zip(points, [rng.choice((3, 5, 6, 7)) for _ in points],
                                  strict=True)]
        sent = reporter_scores(scores, sum(scores))
        assert js_number(js_sum(sent)) == fmt_num(sum(scores))
