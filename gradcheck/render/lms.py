"""Gradebooks each LMS imports as it documents (``gradcheck batch ... --roster F --lms X``).

Every file has one row per roster student with an identity the LMS knows, the automatic
total (``.`` as the decimal point, up to 4 decimals) and no row for a submission that is not
on the roster (an LMS would refuse or mis-file it; those stay in the main gradebook). A
student whose submission could not be graded gets an empty grade, which each LMS skips
rather than recording a zero. Fields are quoted as :func:`gradcheck.render.csv.csv_field`
says; free text (names, feedback) gets the formula guard, identifiers are written exactly
as the roster has them, since the LMS matches on them.

- **canvas** (Gradebook > Import): Canvas's importer (``GradebookImporter``) wants the
  header ``Student, ID, SIS User ID, SIS Login ID, Section`` and then the assignment
  columns ("Invalid header row" otherwise: column 1 must match ``Student``, column 2
  ``ID``, and the last student column ``Section``), finds a student by ID, else SIS User ID,
  else SIS Login ID, else name, and takes a second row starting with ``Points Possible``
  as the points. The roster identifier goes into *SIS Login ID*; the assignment column is
  ``<assignment>`` (a new assignment on import) or ``<assignment> (<canvas id>)`` to fill
  an existing one.
- **moodle** (Grades > Import > CSV file): one identifier column, mapped on the import page
  to username, email address or ID number; the grade column, mapped to a grade item; a
  feedback column, mapped to that item's feedback. Moodle stops the whole import at the
  first identifier that is not a user of the course, hence roster rows only.
- **ilias**: the status file of an exercise unit (``status.csv``, as the ILIAS status-file
  extension and StudOn write and read it): columns ``update, usr_id, login, lastname,
  firstname, status, mark, notice, comment, plagiarism, plag_comment``; rows with
  ``update`` 1 are applied to the member with that ``usr_id``. So the roster for ILIAS is
  the status file ILIAS gave, with a ``github_username`` column added: its ``usr_id``,
  ``login`` and names come back unchanged; ``status`` is ``notgraded`` (the tutor decides
  passed or failed), ``mark`` the points, ``comment`` what happened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gradcheck.errors import UsageError
from gradcheck.render.common import fmt_num, one_line
from gradcheck.render.csv import csv_text, safe_cell

LMS_NAMES = ("canvas", "moodle", "ilias")
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
ILIAS_HEADER = ["update", "usr_id", "login", "lastname", "firstname", "status", "mark",
                "notice", "comment", "plagiarism", "plag_comment"]


def _grade(row: Any) -> str:
    return "" if row.result is None else fmt_num(row.result.score, 4)


def _feedback(row: Any) -> str:
    text = row.status if not row.note else f"{row.status}: {row.note}"
    return safe_cell(one_line(text, 500))


def canvas_csv(rows: Sequence[Any], students: Mapping[str, Any], *, assignment: str,
               max_score: float) -> str:
    """Canvas's gradebook import file for the roster rows of ``rows`` (``batch.Row``).

    >>> from gradcheck.batch import Row
    >>> from gradcheck.batch.roster import Student
    >>> print(canvas_csv([Row("a@uni.example", None, "not graded")],
    ...                  {"a@uni.example": Student("a@uni.example", "alice", {"name": "A, B"})},
    ...                  assignment="sheet01", max_score=64.0), end="")
    Student,ID,SIS User ID,SIS Login ID,Section,sheet01
    Points Possible,,,,,64
    "A, B",,,a@uni.example,,
    """
    body = [["Points Possible", "", "", "", "", fmt_num(max_score, 4)]]
    for row in rows:
        student = students.get(row.id)
        if student is not None:
            body.append([safe_cell(student.name or row.id), "", "", row.id, "", _grade(row)])
    return csv_text(CANVAS_HEADER + [assignment], body)


def moodle_csv(rows: Sequence[Any], students: Mapping[str, Any], *, assignment: str,
               id_header: str) -> str:
    """Moodle's CSV grade import file: identifier, grade, feedback, roster rows only.

    >>> from gradcheck.batch import Row
    >>> from gradcheck.batch.roster import Student
    >>> print(moodle_csv([Row("a@uni.example", None, "missing", "no submission")],
    ...                  {"a@uni.example": Student("a@uni.example", "alice")},
    ...                  assignment="sheet01", id_header="Email address"), end="")
    Email address,sheet01,Feedback
    a@uni.example,,missing: no submission
    """
    body = [[row.id, _grade(row), _feedback(row)] for row in rows if row.id in students]
    return csv_text([id_header, assignment, "Feedback"], body)


def ilias_status_csv(rows: Sequence[Any], students: Mapping[str, Any]) -> str:
    """ILIAS's exercise status file (``status.csv``) for the roster rows; the roster must
    carry ``usr_id`` (it is the status file ILIAS gave, with a ``github_username`` column).

    >>> from gradcheck.batch import Row
    >>> from gradcheck.batch.roster import Student
    >>> alice = Student("alice", "alice-gh", {"usr_id": "311", "lastname": "A"})
    >>> print(ilias_status_csv([Row("alice", None, "not graded", "crashed")],
    ...                        {"alice": alice}), end="")
    update,usr_id,login,lastname,firstname,status,mark,notice,comment,plagiarism,plag_comment
    1,311,alice,A,,notgraded,,,not graded: crashed,,
    """
    body, lacking = [], []
    for row in rows:
        student = students.get(row.id)
        if student is None:
            continue
        usr_id = student.extra.get("usr_id", "")
        if not usr_id.isdigit():
            lacking.append(row.id)
            continue
        body.append(["1", usr_id, student.extra.get("login") or row.id,
                     safe_cell(student.extra.get("lastname", "")),
                     safe_cell(student.extra.get("firstname", "")), "notgraded",
                     _grade(row), "", _feedback(row), "", ""])
    if lacking:
        raise UsageError(
            f"the ILIAS status file matches members by usr_id, which the roster lacks for "
            f"{', '.join(lacking[:5])}{' ...' if len(lacking) > 5 else ''}; use the status "
            "file ILIAS gives for the exercise unit, with a github_username column added, as "
            "the roster")
    return csv_text(ILIAS_HEADER, body)


def lms_csv(lms: str, rows: Sequence[Any], students: Mapping[str, Any], *, assignment: str,
            max_score: float, id_header: str) -> str:
    """The import file for ``lms`` (one of :data:`LMS_NAMES`)."""
    if lms == "canvas":
        return canvas_csv(rows, students, assignment=assignment, max_score=max_score)
    if lms == "moodle":
        return moodle_csv(rows, students, assignment=assignment, id_header=id_header)
    if lms == "ilias":
        return ilias_status_csv(rows, students)
    raise UsageError(f"unknown LMS {lms!r}; choose one of {', '.join(LMS_NAMES)}")
