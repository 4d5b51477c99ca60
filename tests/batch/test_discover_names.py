"""Discovery as students name and pack their files: never a silent zero.

The untouched template beside a notebook, browser and LMS renames (``sheet01 (1).py``,
``SHEET01.PY``, ``sheet01_mueller.py``, ``sheet01.py.txt``) and zip archives."""

import os
import time
from pathlib import Path

from gradcheck.batch.discover import discover
from gradcheck.spec import load_sheet
from gradcheck.spec.template import render_template

TEMPLATE = render_template(load_sheet("sheet01"))


def _write(root: Path, name: str, text: str = "x = 1\n", age: float = 0.0) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if age:
        stamp = time.time() - age
        os.utime(path, (stamp, stamp))
    return path


def _found(root: Path, **options):
    found = discover(root, "sheet01", **options)
    return {s.id: s for s in found.submissions}, found.warnings


def test_the_notebook_wins_over_the_untouched_template(tmp_path):
    _write(tmp_path, "ann/sheet01.py", TEMPLATE)
    _write(tmp_path, "ann/sheet01.ipynb", "{}", age=3600)   # older, but the real work
    found, warnings = _found(tmp_path)
    assert found["ann"].relative == "ann/sheet01.ipynb"
    assert "ann/sheet01.py" in found["ann"].note and "template" in found["ann"].note
    assert any("ann/sheet01.ipynb" in w and "template" in w for w in warnings)


def test_else_the_newer_file_wins_and_the_other_is_named(tmp_path):
    _write(tmp_path, "bo/sheet01.py", "def d_1a(x):\n    return x\n", age=3600)
    _write(tmp_path, "bo/sheet01.ipynb", "{}")
    _write(tmp_path, "cy/sheet01.py", "def d_1a(x):\n    return x\n")
    _write(tmp_path, "cy/sheet01.ipynb", "{}", age=3600)
    found, _ = _found(tmp_path)
    assert found["bo"].relative == "bo/sheet01.ipynb" and "bo/sheet01.py" in found["bo"].note
    assert found["cy"].relative == "cy/sheet01.py" and "cy/sheet01.ipynb" in found["cy"].note


def test_unambiguous_renames_are_accepted(tmp_path):
    _write(tmp_path, "a/sheet01 (1).py")
    _write(tmp_path, "b/SHEET01.PY")
    _write(tmp_path, "c/sheet01_mueller.py")
    _write(tmp_path, "d/Sheet01-final.ipynb", "{}")
    found, _ = _found(tmp_path)
    assert {k: s.relative for k, s in found.items()} == {
        "a": "a/sheet01 (1).py", "b": "b/SHEET01.PY", "c": "c/sheet01_mueller.py",
        "d": "d/Sheet01-final.ipynb"}


def test_ambiguous_and_unusable_names_are_listed_under_found(tmp_path):
    _write(tmp_path, "e/sheet01.py.txt")
    _write(tmp_path, "f/sheet01_v1.py")
    _write(tmp_path, "f/sheet01_v2.py")
    found, _ = _found(tmp_path)
    assert found["e"].missing and "found: sheet01.py.txt" in found["e"].note
    assert "rename" in found["e"].note
    assert found["f"].missing
    assert "sheet01_v1.py" in found["f"].note and "sheet01_v2.py" in found["f"].note


def test_zip_archives_are_never_dropped_silently(tmp_path):
    _write(tmp_path, "sheet01-jan.zip", "PK")
    _write(tmp_path, "kim/sheet01.zip", "PK")
    _write(tmp_path, "lea/sheet01.py")
    found, warnings = _found(tmp_path)
    assert set(found) == {"jan", "kim", "lea"}
    assert found["jan"].missing and "sheet01-jan.zip" in found["jan"].note
    assert "unpack" in found["jan"].note
    assert found["kim"].missing and "sheet01.zip" in found["kim"].note
    assert "unpack" in found["kim"].note


def test_top_level_files_in_other_cases(tmp_path):
    _write(tmp_path, "MAX_SHEET01.PY")
    _write(tmp_path, "nia_sheet01.py.txt")
    found, warnings = _found(tmp_path)
    assert found["MAX"].relative == "MAX_SHEET01.PY"
    assert found["nia"].missing and "rename" in found["nia"].note
