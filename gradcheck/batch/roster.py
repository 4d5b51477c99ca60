"""A roster: which student (their LMS identity) a submission belongs to.

``gradcheck batch ... --roster FILE`` reads either

- GitHub Classroom's roster export (*Download roster*: a header ``identifier,
  github_username, github_id, name``; ``identifier`` is what the instructor entered, e.g. an
  e-mail address, a login or a matriculation number; ``github_username`` is empty for a
  student who has not accepted the assignment yet), or any CSV with a header naming an
  identifier column (``identifier``, ``login``, ``username``, ``email``, ``id``) and a
  GitHub column (``github_username``, ``github``); other columns (``name``, ``usr_id``,
  ``lastname``, ``firstname``, ...) are kept for the LMS export;
- a plain two-column CSV without a header: ``identifier,github_username`` per line.

A submission id (a folder or file name such as ``sheet01-alice``) belongs to the roster
entry whose GitHub username it equals or ends with after a ``-`` (GitHub usernames compare
case-insensitively; the longest such username wins). :func:`join` turns graded rows into one
row per roster student (``missing`` when nothing was submitted) plus every submission that
matches no one, which is kept under its own id with status ``not on roster``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from gradcheck.errors import UsageError

NOT_ON_ROSTER = "not on roster"
_ID_COLUMNS = ("identifier", "login", "username", "email", "id", "student")
_GITHUB_COLUMNS = ("github_username", "github", "github username", "github_login")
MAX_ROSTER_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Student:
    """One roster entry: the LMS identity, the GitHub username ('' when unknown) and the
    roster's other columns (lower-cased names)."""

    identifier: str
    github: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def name(self) -> str:
        """The student's name as the roster gives it ('' when it does not).

        >>> Student("a@uni.example", "alice", {"name": "Alice A"}).name
        'Alice A'
        """
        if self.extra.get("name"):
            return self.extra["name"]
        return " ".join(p for p in (self.extra.get("firstname", ""),
                                    self.extra.get("lastname", "")) if p)


def parse_roster(text: str, source: str = "roster") -> tuple[Student, ...]:
    """The students of a roster CSV (see the module docstring), in file order.

    Raises :class:`UsageError` naming ``source`` and the line for a file that is neither
    layout, an empty identifier, or an identifier or GitHub username given twice.

    >>> parse_roster("identifier,github_username,github_id,name\\n"
    ...              "a@uni.example,alice,1,Alice A\\nb@uni.example,,,Bob B\\n")[1]
    Student(identifier='b@uni.example', github='', extra={...})
    >>> parse_roster("12345,alice\\n67890,Bob\\n")[1].github
    'Bob'
    """
    rows = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
            if any(cell.strip() for cell in r)]
    if not rows:
        raise UsageError(f"{source}: the roster is empty")
    header = [cell.strip().lower() for cell in rows[0]]
    id_col = next((header.index(c) for c in _ID_COLUMNS if c in header), None)
    gh_col = next((header.index(c) for c in _GITHUB_COLUMNS if c in header), None)
    if id_col is not None and gh_col is not None:
        body, first_line = rows[1:], 2
    elif all(len(r) == 2 for r in rows):
        header, id_col, gh_col, body, first_line = [], 0, 1, rows, 1
    else:
        raise UsageError(
            f"{source}: expected GitHub Classroom's roster export (a header with identifier "
            "and github_username) or a two-column CSV (identifier,github_username per line); "
            f"the first line is {','.join(rows[0])[:200]!r}")
    students: list[Student] = []
    seen_ids: dict[str, int] = {}
    seen_github: dict[str, int] = {}
    for number, row in enumerate(body, start=first_line):
        cells = [c.strip() for c in row] + [""] * (len(header) - len(row))
        identifier, github = cells[id_col], cells[gh_col] if gh_col < len(cells) else ""
        if not identifier:
            raise UsageError(f"{source}, line {number}: the identifier is empty")
        for value, seen, what in ((identifier, seen_ids, "identifier"),
                                  (github.lower(), seen_github, "GitHub username")):
            if value and value in seen:
                raise UsageError(f"{source}, line {number}: {what} {value!r} is already on "
                                 f"line {seen[value]}")
            if value:
                seen[value] = number
        extra = {name: cells[i] for i, name in enumerate(header)
                 if i not in (id_col, gh_col) and name}
        students.append(Student(identifier, github, extra))
    return tuple(students)


def read_roster(path: str | Path) -> tuple[Student, ...]:
    """:func:`parse_roster` of a file (UTF-8, a byte-order mark allowed); UsageError when it
    cannot be read."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise UsageError(f"{path}: a roster of more than 16 MiB is not a roster")
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text ({exc.reason}); save the roster as "
                         "CSV UTF-8") from None
    except OSError as exc:
        raise UsageError(f"cannot read the roster {path}: {exc.strerror or exc}") from None
    return parse_roster(text, str(path))


def match(submission_id: str, roster: Sequence[Student]) -> Student | None:
    """The roster entry ``submission_id`` belongs to, or None.

    >>> roster = (Student("a@x", "alice"), Student("b@x", "bob"), Student("c@x", "x-bob"))
    >>> match("sheet01-alice", roster).identifier, match("Bob", roster).identifier
    ('a@x', 'b@x')
    >>> match("sheet01-x-bob", roster).identifier, match("sheet01-carol", roster)
    ('c@x', None)
    """
    lowered = submission_id.lower()
    best: Student | None = None
    for student in roster:
        github = student.github.lower()
        if github and (lowered == github or lowered.endswith("-" + github)):
            if best is None or len(github) > len(best.github):
                best = student
    return best


@dataclass(frozen=True)
class Joined:
    """The gradebook rows after the roster join, the roster by identifier, and the ids of
    the submissions that match no one (kept among the rows)."""

    rows: tuple
    students: dict[str, Student]
    unknown: tuple[str, ...]


def join(rows: Sequence, roster: Sequence[Student], *,
         missing: Callable[[Student], object]) -> Joined:
    """One row per roster student (its ``id`` the identifier) and one per submission that
    matches no one (its own id, status ``not on roster``, never dropped).

    ``rows`` are dataclasses with ``id``, ``status`` and ``note`` (``batch.Row``); a student
    without a submission gets ``missing(student)``. Two submissions of one student: the
    first by id counts, the other is listed as not on the roster with a note saying why.

    >>> from gradcheck.batch import Row
    >>> roster = (Student("a@x", "alice"), Student("b@x", "bob"))
    >>> joined = join([Row("s-alice", None, "graded"), Row("s-eve", None, "graded")], roster,
    ...               missing=lambda s: Row(s.identifier, None, "missing", "no submission"))
    >>> [(r.id, r.status) for r in joined.rows], joined.unknown
    ([('a@x', 'graded'), ('b@x', 'missing'), ('s-eve', 'not on roster')], ('s-eve',))
    """
    taken: dict[str, str] = {}
    matched: dict[str, object] = {}
    unknown = []
    for row in sorted(rows, key=lambda r: r.id):
        student = match(row.id, roster)
        if student is None:
            note = f"{row.status}: {row.note}" if row.note else row.status
            unknown.append(replace(row, status=NOT_ON_ROSTER, note=note))
        elif student.identifier in taken:
            unknown.append(replace(row, status=NOT_ON_ROSTER, note=(
                f"a second submission of {student.identifier} (the one graded for them: "
                f"{taken[student.identifier]})")))
        else:
            taken[student.identifier] = row.id
            matched[student.identifier] = replace(row, id=student.identifier)
    clash = {s.identifier for s in roster} & {u.id for u in unknown}
    if clash:
        raise UsageError(f"submissions named {sorted(clash)} match no GitHub username but "
                         "equal roster identifiers; rename those folders")
    out = [matched.get(s.identifier) or missing(s) for s in roster]
    return Joined(tuple(out + unknown), {s.identifier: s for s in roster},
                  tuple(u.id for u in unknown))


def missing_note(student: Student) -> str:
    """The note of a roster student without a submission.

    >>> missing_note(Student("b@x", "bob")), missing_note(Student("c@x"))
    ('no submission (GitHub bob)', 'no submission (no GitHub username on the roster)')
    """
    who = f"GitHub {student.github}" if student.github else "no GitHub username on the roster"
    return f"no submission ({who})"


def export_path(output: Path, lms: str) -> Path:
    """Where the import file for ``lms`` goes: beside the gradebook.

    >>> export_path(Path("out/grades.csv"), "canvas").as_posix()
    'out/grades.canvas.csv'
    """
    return output.with_name(f"{output.stem}.{lms}.csv")


def write_exports(output: Path, names: Sequence[str], joined: Joined, *, assignment: str,
                  max_score: float, id_header: str) -> tuple[Path, ...]:
    """Write the import file of every LMS in ``names`` beside ``output`` (atomically)."""
    from gradcheck.render.csv import write_atomically
    from gradcheck.render.lms import lms_csv

    texts = {name: lms_csv(name, joined.rows, joined.students, assignment=assignment,
                           max_score=max_score, id_header=id_header) for name in names}
    return tuple(write_atomically(export_path(output, name), text)
                 for name, text in texts.items())
