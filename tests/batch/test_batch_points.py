"""A batch draws its test points and checks the fixed ones once, in the coordinator, and hands
them to every grading process; a fixed point that cannot be graded stops the batch there,
as a spec error naming file and line, before any submission is graded."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcheck.batch import run_batch
from gradcheck.batch.pool import GraderPool, Task
from gradcheck.cli import main
from gradcheck.errors import SpecError
from gradcheck.grading import grader, prepared
from gradcheck.spec import find_spec, load_sheet, parse_sheet

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "sheet01.py"
KINK = ("sheet: kink\ntitle: t\nexercises:\n"
        "  - id: a\n    title: abs\n    points: 1\n    student: d_abs\n"
        "    function: abs(x)\n    inputs: {x: {shape: []}}\n    wrt: x\n"
        "    points_at: [{x: 0.0}]\n")


def _kinked(tmp_path: Path) -> Path:
    spec = tmp_path / "kink.yaml"
    spec.write_text(KINK)
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    (tmp_path / "subs" / "alice" / "kink.py").write_text("def d_abs(x):\n    return 0.0\n")
    return spec


def test_a_fixed_point_that_cannot_be_graded_stops_the_batch_before_grading(tmp_path):
    spec = _kinked(tmp_path)
    out = tmp_path / "grades.csv"
    with pytest.raises(SpecError) as raised:   # the coordinator's own finding
        run_batch(parse_sheet(KINK, file=str(spec)), spec, tmp_path / "subs", out, jobs=2)
    assert (raised.value.file, raised.value.key) == (str(spec), "points_at")
    result = CliRunner().invoke(main, ["batch", str(spec), str(tmp_path / "subs"), "-o",
                                       str(out)])
    assert result.exit_code == 2, result.output
    assert f"{spec}:11: points_at:" in result.output and "not differentiable" in result.output
    assert not out.exists()
    journal = [json.loads(line) for line in (tmp_path / "grades.csv.journal.jsonl")
               .read_text().splitlines()]
    assert not [entry for entry in journal if "student" in entry]   # nobody was graded


def test_grading_processes_grade_with_the_points_handed_to_them(tmp_path):
    # Points drawn with seed 99 handed to processes told seed 1: they grade at the points
    # handed over, not at points of their own.
    sheet = load_sheet("sheet01")
    there = grader.prepare(sheet, 99)
    results = []
    with GraderPool(find_spec("sheet01"), 1, 0.5, 2, sheet.sha256, budget=60,
                    hand=there.hand) as pool:
        pool.run([Task(SOLUTION, "a.py"), Task(SOLUTION, "b.py"), Task(SOLUTION, "c.py")],
                 lambda n, message, result: results.append(json.loads(result)))
    assert len(results) == 3
    for result in results:
        assert result["score"] == result["max_score"]
        graded = {e["id"]: [c["inputs"] for c in e["checks"]] for e in result["exercises"]}
        for exercise in sheet.automatic:
            if exercise.kind != "graph":
                handed = [json.loads(json.dumps(p.inputs, default=_plain))
                          for p in there.points[exercise.id]]
                assert graded[exercise.id] == handed, exercise.id


def _plain(value):
    return float(value) if value.ndim == 0 else value.tolist()


def test_handed_points_are_not_checked_again(monkeypatch):
    sheet = load_sheet("sheet01")
    checked, data = grader.prepare(sheet, 3).hand()
    assert checked and all(problem == "" for _, _, problem in checked)
    calls = []
    real = prepared.agreement_problem
    monkeypatch.setattr(prepared, "agreement_problem",
                        lambda e, p: calls.append(e.id) or real(e, p))
    taken = grader.take(load_sheet("sheet01"), 3, checked, data)
    assert not calls and taken.found() == len(checked)
    grader.take(load_sheet("sheet01"), 3, [], data)   # nothing handed over: checked here
    assert len(calls) == len(checked)


def test_points_that_do_not_fit_the_sheet_are_refused():
    sheet = load_sheet("sheet01")
    checked, data = grader.prepare(sheet, 3).hand()
    with pytest.raises(ValueError, match="do not fit"):
        grader.take(load_sheet("vector-calculus"), 3, checked, data)
    with pytest.raises(ValueError, match="do not fit"):
        grader.take(sheet, 3, checked, b"not points")
    with pytest.raises(ValueError, match="do not fit"):
        grader.take(sheet, 3, [["1a", 99, ""]], data)
