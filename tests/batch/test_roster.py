"""The roster: GitHub Classroom's export and a plain two-column CSV; matched, missing and
unknown submissions; the LMS files against each LMS's documented import rules."""

from __future__ import annotations

import csv
import io
import re

import pytest

from gradcheck.batch import Row, missing_result
from gradcheck.batch.roster import (
    NOT_ON_ROSTER,
    Student,
    join,
    match,
    missing_note,
    parse_roster,
    read_roster,
)
from gradcheck.errors import UsageError
from gradcheck.render.lms import canvas_csv, ilias_status_csv, lms_csv, moodle_csv
from gradcheck.spec import load_sheet
from tests.sample_results import full_sheet, perfect_sheet

CLASSROOM = ("identifier,github_username,github_id,name\n"
             "alice@uni.example,Alice-GH,101,\"Doe, Alice\"\n"
             "bob@uni.example,bob,102,Bob Roe\n"
             "carol@uni.example,,,Carol Poe\n")      # has not accepted the assignment
SHEET = load_sheet("sheet01")


def graded_rows():
    return [Row("sheet01-alice-gh", perfect_sheet(), "graded"),
            Row("sheet01-eve", full_sheet(), "graded with errors", "1d: boom"),
            Row("sheet01-bob", None, "not graded", "the worker died")]


def joined():
    roster = parse_roster(CLASSROOM)
    return join(graded_rows(), roster, missing=lambda s: Row(
        s.identifier, missing_result(SHEET, 1), "missing", missing_note(s)))


# -- reading ------------------------------------------------------------------------------

def test_reads_github_classrooms_roster_export():
    roster = parse_roster("\ufeff" + CLASSROOM)
    assert [(s.identifier, s.github) for s in roster] == [
        ("alice@uni.example", "Alice-GH"), ("bob@uni.example", "bob"),
        ("carol@uni.example", "")]
    assert roster[0].name == "Doe, Alice" and roster[0].extra["github_id"] == "101"


def test_reads_a_plain_two_column_csv(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("12345,alice\r\n67890,bob\r\n\r\n", encoding="utf-8")
    assert [(s.identifier, s.github) for s in read_roster(path)] == [
        ("12345", "alice"), ("67890", "bob")]


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("a,b,c\n1,2,3\n", "expected GitHub Classroom's roster export"),
    ("identifier,github_username\n,alice\n", "line 2: the identifier is empty"),
    ("identifier,github_username\na,alice\nb,ALICE\n", "line 3: GitHub username 'alice'"),
    ("1,alice\n1,bob\n", "line 2: identifier '1' is already on line 1"),
])
def test_bad_rosters_are_usage_errors_with_the_line(text, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        parse_roster(text, "roster.csv")


def test_unreadable_rosters_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="cannot read the roster"):
        read_roster(tmp_path / "nope.csv")
    (tmp_path / "latin.csv").write_bytes("1,j\xfcrgen\n".encode("latin-1"))
    with pytest.raises(UsageError, match="not UTF-8"):
        read_roster(tmp_path / "latin.csv")


# -- matching -----------------------------------------------------------------------------

def test_matching_by_username_or_assignment_prefix_case_insensitively():
    roster = parse_roster(CLASSROOM)
    assert match("sheet01-alice-gh", roster).identifier == "alice@uni.example"
    assert match("BOB", roster).identifier == "bob@uni.example"
    assert match("sheet01-bobby", roster) is None
    assert match("sheet01-eve", roster) is None


def test_matched_missing_and_unknown_rows():
    result = joined()
    rows = {r.id: r for r in result.rows}
    assert list(rows) == ["alice@uni.example", "bob@uni.example", "carol@uni.example",
                          "sheet01-eve"]
    assert rows["alice@uni.example"].status == "graded"
    assert rows["bob@uni.example"].status == "not graded"          # matched, kept as is
    assert rows["carol@uni.example"].status == "missing"
    assert rows["carol@uni.example"].note == "no submission (no GitHub username on the roster)"
    assert rows["carol@uni.example"].result.score == 0
    assert rows["sheet01-eve"].status == NOT_ON_ROSTER                 # listed, not dropped
    assert rows["sheet01-eve"].result.score == full_sheet().score
    assert "graded with errors: 1d: boom" in rows["sheet01-eve"].note
    assert result.unknown == ("sheet01-eve",)


def test_a_second_submission_of_a_student_is_listed_not_dropped():
    roster = parse_roster(CLASSROOM)
    rows = [Row("a-alice-gh", perfect_sheet(), "graded"),
            Row("b-alice-gh", full_sheet(), "graded")]
    result = join(rows, roster, missing=lambda s: Row(s.identifier, None, "missing"))
    extra = [r for r in result.rows if r.status == NOT_ON_ROSTER]
    assert [r.id for r in extra] == ["b-alice-gh"] and "a-alice-gh" in extra[0].note


# -- Canvas: GradebookImporter's header rule, Points Possible row, ids, numbers ----------

def canvas_header_ok(row):
    """canvas-lms app/models/gradebook_importer.rb: header? and update_column_count."""
    if not (len(row) > 3 and re.search("Student", row[0]) and re.search("ID", row[1])):
        return None
    columns = 3
    if re.search(r"SIS\s+Login\s+ID", row[2]):
        columns += 1
    elif re.search(r"SIS\s+User\s+ID", row[2]) and re.search(r"SIS\s+Login\s+ID", row[3]):
        columns += 2
    return columns if re.search("Section", row[columns - 1]) else None


def test_canvas_file_passes_canvas_header_rule_and_holds_roster_rows_only():
    result = joined()
    text = canvas_csv(result.rows, result.students, assignment="Sheet 01 (1234)",
                      max_score=64.0)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert canvas_header_ok(rows[0]) == 5 and rows[0][5:] == ["Sheet 01 (1234)"]
    assert rows[1][0] == "Points Possible" and rows[1][5] == "64"
    students = {r[3]: r for r in rows[2:]}
    assert set(students) == {"alice@uni.example", "bob@uni.example", "carol@uni.example"}
    assert students["alice@uni.example"][0] == "Doe, Alice"
    assert students["alice@uni.example"][5] == fmt(perfect_sheet().score)
    assert students["bob@uni.example"][5] == ""        # not graded: no zero imported
    assert students["carol@uni.example"][5] == "0"
    assert all(re.fullmatch(r"-?[0-9]+(\.[0-9]+)?|", r[5]) for r in rows[1:])


def fmt(value):
    return f"{value:.4f}".rstrip("0").rstrip(".")


# -- Moodle: one identifier column, one grade column, optional feedback ------------------

def test_moodle_file_has_known_users_only_and_a_grade_and_feedback_column():
    result = joined()
    text = moodle_csv(result.rows, result.students, assignment="sheet01",
                      id_header="Email address")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["Email address", "sheet01", "Feedback"]
    # Moodle aborts on the first identifier that is no user: only roster identifiers
    assert [r[0] for r in rows[1:]] == ["alice@uni.example", "bob@uni.example",
                                        "carol@uni.example"]
    grades = {r[0]: r[1] for r in rows[1:]}
    assert grades["bob@uni.example"] == "" and grades["carol@uni.example"] == "0"
    assert all(re.fullmatch(r"[0-9]+(\.[0-9]+)?|", g) for g in grades.values())
    assert rows[3][2].startswith("missing: no submission")


# -- ILIAS: the exercise unit's status file ----------------------------------------------

ILIAS_ROSTER = ("update,usr_id,login,lastname,firstname,status,mark,notice,comment,"
                "plagiarism,plag_comment,github_username\n"
                "0,311,adoe,Doe,Alice,notgraded,,,,,,Alice-GH\n"
                "0,312,broe,Roe,Bob,notgraded,,,,,,bob\n")


def test_ilias_status_file_keeps_usr_id_and_login_and_sets_update():
    roster = parse_roster(ILIAS_ROSTER)
    assert roster[0].identifier == "adoe" and roster[0].extra["usr_id"] == "311"
    result = join(graded_rows(), roster, missing=lambda s: Row(s.identifier, None, "missing"))
    text = ilias_status_csv(result.rows, result.students)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    titles = ["update", "usr_id", "login", "lastname", "firstname", "status", "mark",
              "notice", "comment", "plagiarism", "plag_comment"]
    assert list(rows[0]) == titles                   # ILIAS requires all of these titles
    assert [(r["update"], r["usr_id"], r["login"]) for r in rows] == [
        ("1", "311", "adoe"), ("1", "312", "broe")]
    assert rows[0]["status"] == "notgraded" and rows[0]["mark"] == fmt(perfect_sheet().score)
    assert rows[1]["mark"] == "" and "not graded" in rows[1]["comment"]


def test_ilias_without_usr_id_says_what_roster_to_use():
    result = joined()
    with pytest.raises(UsageError, match="usr_id"):
        lms_csv("ilias", result.rows, result.students, assignment="s", max_score=1,
                id_header="x")


def test_free_text_gets_the_formula_guard_identifiers_stay_exact():
    roster = (Student("-007", "bond", {"name": "=HYPERLINK(\"x\")"}),)
    result = join([Row("s-bond", perfect_sheet(), "graded")], roster,
                  missing=lambda s: Row(s.identifier, None, "missing"))
    text = canvas_csv(result.rows, result.students, assignment="a", max_score=1)
    row = list(csv.reader(io.StringIO(text, newline="")))[2]
    assert row[0].startswith("'=") and row[3] == "-007"


# -- end to end: gradcheck batch --roster --lms -------------------------------------------

def test_batch_with_a_roster_writes_every_student_and_each_lms_file(tmp_path):
    from click.testing import CliRunner

    from gradcheck.cli import main
    from tests.batch.test_batch import SOLUTION

    subs = tmp_path / "subs"
    for name in ("sheet01-alice-gh", "sheet01-eve"):
        (subs / name).mkdir(parents=True)
        (subs / name / "sheet01.py").write_text(SOLUTION.read_text())
    roster = tmp_path / "classroom_roster.csv"
    roster.write_text(CLASSROOM, encoding="utf-8")
    out = tmp_path / "grades.csv"
    result = CliRunner().invoke(main, [
        "batch", "sheet01", str(subs), "-o", str(out), "--jobs", "1", "--seed", "7",
        "--roster", str(roster), "--lms", "canvas", "--lms", "moodle",
        "--id-column", "Email address"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = {r[0]: r for r in csv.reader(io.StringIO(out.read_text(), newline=""))}
    assert rows["alice@uni.example"][-2] == "graded"
    assert rows["bob@uni.example"][-2] == rows["carol@uni.example"][-2] == "missing"
    assert rows["sheet01-eve"][-2] == NOT_ON_ROSTER            # listed, never dropped
    assert "sheet01-eve" in result.output                       # and named in the summary
    canvas = list(csv.reader(io.StringIO((tmp_path / "grades.canvas.csv").read_text())))
    assert canvas_header_ok(canvas[0]) == 5
    assert {r[3]: r[5] for r in canvas[2:]} == {
        "alice@uni.example": "100", "bob@uni.example": "0", "carol@uni.example": "0"}
    moodle = (tmp_path / "grades.moodle.csv").read_text().splitlines()
    assert moodle[0] == "Email address,sheet01,Feedback" and len(moodle) == 4


def test_lms_without_roster_is_a_usage_error(tmp_path):
    from click.testing import CliRunner

    from gradcheck.cli import main

    (tmp_path / "a.py").write_text("x = 1\n")
    result = CliRunner().invoke(main, ["batch", "sheet01", str(tmp_path), "--lms", "moodle"])
    assert result.exit_code == 2 and "--lms needs --roster" in result.output
