"""The parts of `gradcheck batch`, one at a time: discovery, the journal, gradebook rows, the
summary, and what a batch does when one submission, one grading process or one renderer
fails."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcheck.batch import Row, missing_result, summarize
from gradcheck.batch.discover import discover
from gradcheck.batch.journal import Journal, journal_path
from gradcheck.cli import main
from gradcheck.errors import UsageError
from gradcheck.render.csv import gradebook_rows
from gradcheck.results import SheetResult
from gradcheck.spec import load_sheet
from tests.batch.test_batch import (
    SOLUTION,
    TIMEOUT,
    journal_students,
    read_csv,
    run_batch_cli,
)


def _touch(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")


def test_discovery_layouts_and_preferences(tmp_path):
    _touch(tmp_path, "a/sheet01.py", "a/sheet01.ipynb", "b/x/sheet01.ipynb", "b/y/sheet01.ipynb",
           "c/Sheet01.py", "dan.py", "eve_sheet01.ipynb", "sheet01-fay.py", "gus.ipynb",
           "gus.py", "notes.txt", "__MACOSX/sheet01.py", ".git/sheet01.py", "h/.hidden/sheet01.py")
    (tmp_path / "out").mkdir()
    (tmp_path / "i").mkdir()
    (tmp_path / "i" / "sheet01.py").symlink_to(tmp_path / "dan.py")
    found = discover(tmp_path, "sheet01", exclude=[tmp_path / "out"])
    got = {s.id: s.relative for s in found.submissions}
    assert got == {"a": "a/sheet01.py", "b": "b/x/sheet01.ipynb", "c": "c/Sheet01.py",
                   "dan": "dan.py", "eve": "eve_sheet01.ipynb", "fay": "sheet01-fay.py",
                   "gus": "gus.py", "h": None, "i": None}
    assert [s.id for s in found.submissions] == sorted(got)
    assert found.warnings == ("a: grading a/sheet01.py, not a/sheet01.ipynb",
                              "b: grading b/x/sheet01.ipynb, not b/y/sheet01.ipynb",
                              "gus: grading gus.py, not gus.ipynb")


def test_strip_prefix(tmp_path):
    _touch(tmp_path, "hw1-anne-marie/sheet01.py", "hw1-ann/sheet01.py")
    stripped = discover(tmp_path, "sheet01", strip_prefix=True)
    assert [s.id for s in stripped.submissions] == ["ann", "anne-marie"]
    _touch(tmp_path, "other/sheet01.py")
    kept = discover(tmp_path, "sheet01", strip_prefix=True)
    assert [s.id for s in kept.submissions] == ["hw1-ann", "hw1-anne-marie", "other"]
    assert "share no" in kept.warnings[0]
    with pytest.raises(UsageError):
        discover(tmp_path / "nope", "sheet01")


def _result(score: float = 2.0) -> SheetResult:
    sheet = load_sheet("sheet01")
    return SheetResult(sheet="sheet01", title="", module="sheet01", submission="x.py",
                       score=score, max_score=100.0, manual_points=0.0, seed=1,
                       spec_sha256=sheet.sha256, gradcheck_version="", exercises=())


def test_journal_reuses_matching_lines_and_survives_a_torn_line(tmp_path):
    path = tmp_path / "g.csv.journal.jsonl"
    key = {"spec_sha256": "s", "seed": 1, "timeout": 5.0}
    with Journal(path, key) as journal:
        journal.append("ann", "h1", _result(1.0))
        journal.append("ann", "h1", _result(3.0))
        journal.append("bob", "h2", _result(2.0))
        with pytest.raises(UsageError, match="in use"):
            Journal(path, key)
    with open(path, "a") as f:
        f.write('{"format": 1, "student": "carl", "fi')          # kill -9 in mid-write
    with Journal(path, key) as journal:
        saved = journal.saved()
        assert {k: r.score for k, r in saved.items()} == {("ann", "h1"): 3.0, ("bob", "h2"): 2.0}
        journal.append("carl", "h3", _result(4.0))
    assert path.read_text().count("\n") == 4 and path.read_text().endswith("}\n")
    with Journal(path, dict(key, seed=2)) as other:
        assert other.saved() == {}
    with Journal(path, key, fresh=True) as fresh:
        assert fresh.saved() == {} and path.read_text() == ""


def test_gradebook_rows_for_missing_and_not_graded():
    sheet = load_sheet("sheet01")
    rows = [("ann", missing_result(sheet, 1)), ("bob", None), ("cy", None)]
    header, cells = gradebook_rows(rows, statuses={"ann": ("missing", "no file"),
                                                   "cy": ("not graded", "=worker failed")})
    ann, bob, cy = (dict(zip(header, row, strict=True)) for row in cells)
    assert ann["1a (2)"] == "0" and ann["automatic (100)"] == "0" and ann["status"] == "missing"
    assert bob["1a (2)"] == "" and bob["automatic (100)"] == "" and bob["status"] == "not graded"
    assert cy["note"] == "'=worker failed"


def test_summary_figures():
    sheet = load_sheet("sheet01")
    perfect = SheetResult.from_dict(json.loads(json.dumps(_result(100.0).to_dict())))
    rows = [Row("a", _result(0.0), "load error", "SyntaxError"), Row("b", perfect, "graded"),
            Row("c", _result(40.0), "graded"), Row("d", missing_result(sheet, 1), "missing"),
            Row("e", None, "not graded", "no worker")]
    summary = summarize(sheet, rows, graded_now=3, elapsed=1.5)
    assert (summary.count, summary.submitted, summary.mean, summary.median) == \
        (5, 3, pytest.approx(140 / 3), 40.0)
    assert [c for _, _, c in summary.histogram] == [1, 0, 0, 0, 1, 0, 0, 0, 0, 1]
    assert summary.missing == (("d", ""),) and summary.not_graded == (("e", "no worker"),)
    assert summary.load_errors == (("a", "SyntaxError"),) and summary.rate == 2.0


def test_a_submission_that_cannot_be_graded_is_a_row_without_scores(tmp_path):
    from gradcheck.batch import run_batch
    from gradcheck.spec import find_spec

    for name in ("a", "b", "c", "d"):
        (tmp_path / "subs" / name).mkdir(parents=True)
        (tmp_path / "subs" / name / "sheet01.py").write_text(SOLUTION.read_text())
    vanishing = tmp_path / "subs" / "d" / "sheet01.py"

    def remove_d(progress):   # d is sent to the grading process only once b is done
        if progress.last == "a":
            vanishing.unlink()

    sheet, out = load_sheet("sheet01"), tmp_path / "out" / "grades.csv"
    report = run_batch(sheet, find_spec("sheet01"), tmp_path / "subs", out, jobs=1,
                       on_progress=remove_d)
    assert [r.status for r in report.rows] == ["graded", "graded", "graded", "not graded"]
    assert "no such file" in report.rows[3].note
    assert report.summary.not_graded == (("d", report.rows[3].note),)
    d = read_csv(out)[4]
    assert d[0] == "d" and set(d[1:-2]) == {""} and d[-2] == "not graded"
    assert journal_students(out.parent) == ["a", "b", "c"]       # d is tried again next time
    vanishing.write_text(SOLUTION.read_text())
    again = run_batch(sheet, find_spec("sheet01"), tmp_path / "subs", out, jobs=1)
    assert [r.status for r in again.rows] == ["graded"] * 4
    assert again.summary.graded_now == 1 and again.summary.saved == 3


def test_a_grading_process_that_cannot_start_stops_the_batch(tmp_path):
    from gradcheck.batch.pool import GraderPool, Task
    from gradcheck.errors import SandboxError

    pool = GraderPool(tmp_path / "missing.yaml", 1, None, 1, "x", budget=60)
    with pool, pytest.raises(SandboxError, match="missing.yaml"):
        pool.run([Task(SOLUTION, "sheet01.py")], lambda *args: None)
    assert pool.graders == []


def test_a_renderer_that_fails_costs_only_that_feedback(tmp_path, monkeypatch):
    """In the grading process: the row and the journal keep the result."""
    from concurrent.futures import Future

    from gradcheck.batch import process as batch_process
    from gradcheck.render import markdown
    from tests.sample_results import full_sheet

    class Grader:
        @staticmethod
        def grade(prepared, path, *, timeout, session):
            return full_sheet()

    def broken(result, **options):
        raise UnicodeEncodeError("utf-8", "", 0, 1, "surrogates not allowed")

    monkeypatch.setattr(markdown, "to_markdown", broken)
    opening: Future = Future()
    opening.set_result(None)
    message, result = batch_process._grade(Grader, None, {"task": 3, "path": "x.py",
                                                       "relative": "bob/x.py"},
                                        opening, 1.0, True)
    assert message["op"] == "done" and message["task"] == 3
    assert SheetResult.from_dict(message["lite"]).score == full_sheet().score
    assert "could not be written here (UnicodeEncodeError)" in message["feedback"]
    assert json.loads(result)["submission"] == "bob/x.py"


def test_hostile_text_costs_no_row(tmp_path, monkeypatch):
    """Markup and a lone surrogate in load errors and exception messages: every row, feedback
    file and the summary survive; a renderer failing on a saved result costs one file."""
    folder = tmp_path / "subs"
    files = {"alice/sheet01.py": SOLUTION.read_text(),
             "mallory/sheet01.py": 'raise ValueError("[/bold] [link=https://x.example]a[/link]")',
             "sam/sheet01.py": SOLUTION.read_text()
             + '\n\ndef d_1c(x):\n    raise ValueError("bad \\ud800 value")\n'}
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True)
        (folder / name).write_text(text)
    out = tmp_path / "out"
    first = run_batch_cli(folder, out, "--feedback", str(out / "fb"), "--jobs", "1")
    assert first.exit_code == 0, first.output
    gradebook = (out / "grades.csv").read_text()
    rows = {r[0]: r for r in read_csv(out / "grades.csv")}
    assert rows["mallory"][-2:] == ["load error", "ValueError: [/bold] "
                                    "[link=https://x.example]a[/link] at import (sheet01.py, "
                                    "line 1: raise ValueError(\"[/bold] "
                                    "[link=https://x.example]a[/link]\"))"]
    assert rows["sam"][-2] == "graded with errors" and "bad \\ud800 value" in rows["sam"][-1]
    assert "[link=https://x.example]a[/link]" in first.output       # shown as text
    assert "bad \\ud800 value" in (out / "fb" / "sam.md").read_text()

    from gradcheck.render import markdown

    real = markdown.to_markdown
    monkeypatch.setattr(markdown, "to_markdown", lambda result, **kw: real(result, **kw)
                        if "sam" not in result.submission else 1 / 0)
    again = run_batch_cli(folder, out, "--feedback", str(out / "fb2"), "--jobs", "1")
    assert again.exit_code == 0 and "3 saved before" in again.output, again.output
    assert (out / "grades.csv").read_text() == gradebook
    assert "could not be written here (ZeroDivisionError)" in (out / "fb2" / "sam.md").read_text()
    assert (out / "fb2" / "alice.md").read_text() == (out / "fb" / "alice.md").read_text()


def test_the_journal_key_holds_the_sandbox_mode(tmp_path):
    folder = tmp_path / "subs"
    (folder / "ann").mkdir(parents=True)
    (folder / "ann" / "sheet01.py").write_text(SOLUTION.read_text())
    out = tmp_path / "out"
    first = run_batch_cli(folder, out, "--jobs", "1", "--seed", "7")
    assert first.exit_code == 0, first.output
    (line,) = journal_path(out / "grades.csv").read_text().splitlines()
    from gradcheck.sandbox.confine import pick_mode

    assert json.loads(line)["sandbox"] == pick_mode() and f"sandbox: {pick_mode()}" in \
        first.output
    other = CliRunner().invoke(main, ["batch", "sheet01", str(folder), "-o",
                                      str(out / "grades.csv"), "--timeout", TIMEOUT, "--seed",
                                      "7"], env={"GRADCHECK_SANDBOX": "none"})
    assert other.exit_code == 0 and "1 graded" in other.output, other.output   # not reused
    assert "sandbox: none" in other.output
