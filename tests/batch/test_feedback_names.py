"""Feedback file names: whatever a student id holds, a name every OS accepts, one per row."""

from gradcheck.batch import Row
from gradcheck.batch.run import _write_feedback
from gradcheck.render.csv import safe_filename
from tests.sample_results import perfect_sheet

WINDOWS_REFUSES = set('<>:"/\\|?*') | {chr(c) for c in range(32)}


def test_hostile_ids_get_distinct_safe_feedback_files(tmp_path):
    ids = ['a|b', 'a?b', 'quo"te', "CON", "nul.txt", "trailing. ", "car\rriage", "ok"]
    rows = [Row(i, perfect_sheet(), "graded", feedback=f"# {i!r}\n") for i in ids]
    written = _write_feedback(tmp_path, rows)
    names = [p.name for p in written]
    assert len(set(n.lower() for n in names)) == len(ids)
    for name in names:
        stem = name.removesuffix(".md")
        assert not WINDOWS_REFUSES & set(stem) and not stem.endswith((".", " "))
        assert stem.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL"}
    assert names[:2] == ["a_b.md", "a_b-2.md"] and names[-1] == "ok.md"
    assert (tmp_path / "a_b-2.md").read_text() == "# 'a?b'\n"


def test_plain_ids_keep_their_names():
    assert safe_filename("sheet01-alice") == "sheet01-alice"
    assert safe_filename("anne-marie.o'neil") == "anne-marie.o'neil"
