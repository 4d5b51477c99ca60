"""The gradebook CSV: exact text, deterministic order, atomic writes."""

import csv
import io
import os
import stat
from pathlib import Path

import pytest

from gradcheck.render.csv import gradebook_csv, gradebook_rows, write_gradebook
from tests.sample_results import full_sheet, load_error_sheet, perfect_sheet

SUBMISSIONS = [("bob", full_sheet()), ("=alice", load_error_sheet()),
               ("carl", perfect_sheet())]

EXPECTED = (
    'student,1a (2),1b (2),1c (2),1d (3),1e (2),1f (3),1h (4),3a (8),automatic (26),'
    '"2 (manual, 36)",status,note\n'
    "'=alice,0,0,,,,,,0,0,,load error,\"SyntaxError: invalid syntax (sheet01.py, line 3)\"\n"
    "bob,2,1.2,0,0,0,0,2,5.3333,10.5333,,graded with errors,"
    "1d: ZeroDivisionError: division by zero | at line 21\n"
    "carl,2,,2,,,,,,4,,graded,\n"
)


def test_gradebook_text_is_exact():
    assert gradebook_csv(SUBMISSIONS) == EXPECTED


def test_rows_are_sorted_whatever_the_input_order():
    assert gradebook_csv(SUBMISSIONS[::-1]) == EXPECTED
    header, rows = gradebook_rows(SUBMISSIONS, id_column="matriculation")
    assert header[0] == "matriculation" and [r[0] for r in rows] == ["'=alice", "bob", "carl"]
    assert all(len(row) == len(header) for row in rows)


def test_manual_columns_are_left_empty_for_the_ta():
    header, rows = gradebook_rows(SUBMISSIONS)
    column = header.index("2 (manual, 36)")
    assert [row[column] for row in rows] == ["", "", ""]


def test_write_gradebook_writes_the_file(tmp_path):
    path = write_gradebook(tmp_path / "grades.csv", SUBMISSIONS)
    assert path.read_bytes().decode("utf-8") == EXPECTED
    assert list(csv.reader(io.StringIO(EXPECTED)))[1][0] == "'=alice"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert os.listdir(tmp_path) == ["grades.csv"]


def test_write_gradebook_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "grades.csv"
    path.write_text("old gradebook\n")
    os.chmod(path, 0o640)

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_gradebook(path, SUBMISSIONS)
    assert path.read_text() == "old gradebook\n"
    assert os.listdir(tmp_path) == ["grades.csv"]          # no temporary file left behind

    monkeypatch.undo()
    write_gradebook(path, SUBMISSIONS)
    assert path.read_text() == EXPECTED and stat.S_IMODE(path.stat().st_mode) == 0o640


def test_the_documented_example_is_what_the_code_writes():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "output-formats.md").read_text()
    assert f"```\n{EXPECTED}```" in doc


# -- quoting: CR, LF, ',', ';' and quotes, for ',' and ';' spreadsheets --------------------

HOSTILE_IDS = ["car\rriage", "line\nfeed", "x;=1+1", 'quo"te', "com,ma", "plain"]


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_hostile_ids_stay_one_field_for_comma_and_semicolon_readers(delimiter):
    text = gradebook_csv([(i, perfect_sheet()) for i in HOSTILE_IDS])
    if delimiter == ",":
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert sorted(r[0] for r in rows[1:]) == sorted(HOSTILE_IDS)
        assert {len(r) for r in rows} == {len(rows[0])}
    # a ';' spreadsheet reads the ',' file's lines as one cell each, unless a field is
    # quoted: quoted fields keep their ';' (no "=1+1" cell can appear)
    cells = [c for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
             for c in r]
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    # every field holding CR, LF, ',', ';' or '"' is quoted
    for hostile in HOSTILE_IDS[:-1]:
        assert '"' + hostile.replace('"', '""') + '"' in text


def test_formula_prefixes_are_escaped_inside_quotes_too():
    text = gradebook_csv([("=cmd|' /C calc'!A0;x", perfect_sheet())])
    assert "\"'=cmd|' /C calc'!A0;x\"" in text
