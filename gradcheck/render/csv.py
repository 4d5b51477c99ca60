"""The gradebook: one CSV row per submission, for an LMS import or a spreadsheet.

Columns: the id column (``student`` by default), one per automatic exercise (its score;
header ``"<id> (<points>)"``), ``automatic (<max>)`` with the total, one empty column per
manual exercise for the TA (header ``"<id> (manual, <points>)"``), ``status`` (``graded``,
``graded with errors`` when an exercise crashed or timed out, ``load error``) and ``note``
(the load error, or the first exercise that crashed or timed out, shortened to one line):
see :func:`row_status`. Rows are sorted by id. Scores keep up to 4 decimals.

Batch grading adds rows with their own status and note (``statuses``): ``missing`` (no
submission: a row of zeros) and ``not graded`` (the grader could not grade it: a ``None``
result, whose score cells stay empty so that no LMS imports a zero).

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return) get a leading apostrophe. A cell holding a carriage return,
a line feed, a comma, a semicolon or a double quote is quoted (:func:`csv_text`), so neither
a ``,`` nor a ``;`` spreadsheet (the German locale's) splits it. Feedback files are named
with :func:`safe_filename`.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from gradcheck.render.common import fmt_num, one_line
from gradcheck.results import ERROR, TIMEOUT, SheetResult

GRADED, GRADED_WITH_ERRORS, LOAD_ERROR = "graded", "graded with errors", "load error"
MISSING, NOT_GRADED = "missing", "not graded"


def safe_cell(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would run it as a formula.

    >>> safe_cell("=1+1"), safe_cell("alice")
    ("'=1+1", 'alice')
    """
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


_safe = safe_cell
_NEEDS_QUOTES = re.compile('[\r\n,;"]')


def csv_field(text: str) -> str:
    """One CSV field: quoted (quotes doubled) when it holds CR, LF, ``,``, ``;`` or ``"``.

    >>> csv_field("alice"), csv_field("x;=1+1"), csv_field('a"b\\rc')
    ('alice', '"x;=1+1"', '"a""b\\rc"')
    """
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if _NEEDS_QUOTES.search(text) else text


def csv_text(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """CSV text (``\\n`` line ends), every field through :func:`csv_field`.

    >>> csv_text(["id", "score"], [["a,b", "1.5"]])
    'id,score\\n"a,b",1.5\\n'
    """
    return "".join(",".join(csv_field(cell) for cell in row) + "\n"
                   for row in [list(header), *map(list, rows)])


_WINDOWS_BAD = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f-\x9f]')
_RESERVED = re.compile(r"(?i)(?:con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|"
                       r"lpt[0-9\u00b9\u00b2\u00b3])(?:\..*)?")


def safe_filename(name: str, taken: set[str] | None = None) -> str:
    """A file name for ``name`` that Windows, macOS and Linux all accept: characters Windows
    refuses (``<>:"/\\|?*``, control characters) become ``_``, trailing dots and spaces go,
    reserved device names (``CON``, ``NUL``, ``COM1`` ...) and names starting with ``.``
    get a ``_`` in front, at most 120 characters. With ``taken`` (lower-cased names in use,
    updated), a repeated name gets ``-2``, ``-3`` ...

    >>> safe_filename('a|b"c?'), safe_filename("CON"), safe_filename("x. "), safe_filename("..")
    ('a_b_c_', '_CON', 'x', '_')
    >>> taken = set(); safe_filename("a|b", taken), safe_filename("a?b", taken)
    ('a_b', 'a_b-2')
    """
    clean = _WINDOWS_BAD.sub("_", name).rstrip(". ")[:120].rstrip(". ") or "_"
    if _RESERVED.fullmatch(clean) or clean.startswith("."):
        clean = "_" + clean
    if taken is not None:
        base, n = clean, 2
        while clean.lower() in taken:
            clean, n = f"{base}-{n}", n + 1
        taken.add(clean.lower())
    return clean


def _columns(results: Sequence[tuple[str, SheetResult | None]]
             ) -> tuple[list[str], list[str], dict[str, float]]:
    """Automatic and manual exercise ids in sheet order, with their points.

    The order is that of the result with the most exercises (ties: smallest id); ids only
    other results have follow in the order met, so the columns do not depend on the order
    of ``results``.
    """
    automatic: list[str] = []
    manual: list[str] = []
    points: dict[str, float] = {}
    graded = [(student, result) for student, result in results if result is not None]
    for _, result in sorted(graded, key=lambda item: (-len(item[1].exercises), item[0])):
        for exercise in result.exercises:
            if exercise.id in points:
                continue
            points[exercise.id] = exercise.points
            (automatic if exercise.automatic else manual).append(exercise.id)
    return automatic, manual, points


def row_status(result: SheetResult) -> tuple[str, str]:
    """The ``(status, note)`` of a graded result's gradebook row: ``load error`` with the
    error; ``graded with errors`` naming the first exercise that crashed or timed out (or
    raised); else ``graded`` without a note.

    >>> from gradcheck.results import SheetResult
    >>> broken = SheetResult(sheet="s", title="", module="s", submission="s.py", score=0.0,
    ...                      max_score=2.0, manual_points=0.0, seed=1, spec_sha256="",
    ...                      gradcheck_version="", exercises=(), load_error="SyntaxError")
    >>> row_status(broken)
    ('load error', 'SyntaxError')
    """
    if result.load_error:
        return LOAD_ERROR, result.load_error
    problems = [e for e in result.automatic if e.status in (ERROR, TIMEOUT)]
    if problems:
        return GRADED_WITH_ERRORS, f"{problems[0].id}: {problems[0].message}"
    return GRADED, ""


def gradebook_rows(results: Sequence[tuple[str, SheetResult | None]], *,
                   id_column: str = "student",
                   statuses: Mapping[str, tuple[str, str]] | None = None
                   ) -> tuple[list[str], list[list[str]]]:
    """The gradebook's header and rows (all cells are text), rows sorted by id.

    ``statuses`` maps an id to the ``(status, note)`` its row shows instead of the ones read
    from its result; a ``None`` result leaves the score cells empty (status ``not graded``
    unless ``statuses`` says otherwise).

    >>> from gradcheck.results import ExerciseResult, SheetResult
    >>> ex = ExerciseResult(id="1a", title="", kind="derivative", student="d_1a",
    ...                     points=2.0, score=1.5, status="fail")
    >>> sheet = SheetResult(sheet="s", title="", module="s", submission="s.py", score=1.5,
    ...                     max_score=2.0, manual_points=0.0, seed=1, spec_sha256="",
    ...                     gradcheck_version="", exercises=(ex,))
    >>> header, rows = gradebook_rows([("bob", sheet)])
    >>> header
    ['student', '1a (2)', 'automatic (2)', 'status', 'note']
    >>> rows
    [['bob', '1.5', '1.5', 'graded', '']]
    """
    automatic, manual, points = _columns(results)
    max_score = sum(points[i] for i in automatic)
    header = ([id_column] + [f"{i} ({fmt_num(points[i], 4)})" for i in automatic]
              + [f"automatic ({fmt_num(max_score, 4)})"]
              + [f"{i} (manual, {fmt_num(points[i], 4)})" for i in manual]
              + ["status", "note"])
    rows = []
    statuses = statuses or {}
    for student, result in sorted(results, key=lambda item: item[0]):
        if result is None:
            status, note = statuses.get(student, (NOT_GRADED, ""))
            rows.append([_safe(student)] + [""] * (len(automatic) + 1 + len(manual))
                        + [status, _safe(one_line(note, 200))])
            continue
        scores = {e.id: e.score for e in result.exercises if e.automatic}
        row = [_safe(student)]
        row += [fmt_num(scores[i], 4) if i in scores else "" for i in automatic]
        row.append(fmt_num(result.score, 4))
        row += [""] * len(manual)
        status, note = statuses.get(student) or row_status(result)
        row += [status, _safe(one_line(note, 200))]
        rows.append(row)
    return header, rows


def gradebook_csv(results: Sequence[tuple[str, SheetResult | None]], *,
                  id_column: str = "student",
                  statuses: Mapping[str, tuple[str, str]] | None = None) -> str:
    """The gradebook as CSV text (:func:`csv_text`)."""
    header, rows = gradebook_rows(results, id_column=id_column, statuses=statuses)
    return csv_text(header, rows)


def write_gradebook(path: str | os.PathLike[str],
                    results: Sequence[tuple[str, SheetResult | None]], *,
                    id_column: str = "student",
                    statuses: Mapping[str, tuple[str, str]] | None = None) -> Path:
    """Write the gradebook CSV atomically (:func:`write_atomically`). Returns ``path``."""
    return write_atomically(path, gradebook_csv(results, id_column=id_column,
                                                statuses=statuses))


def write_atomically(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file beside it, then a rename.

    A reader (or a crash halfway) never sees a half-written file: ``path`` holds the old
    file or the complete new one. The old file's permissions are kept (a new file gets
    ``rw-r--r--``). Text that UTF-8 cannot hold (a lone surrogate) is written escaped.
    Returns ``path``.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "bob.md"
    >>> write_atomically(target, "bad \\ud800 text").read_text()
    'bad \\\\ud800 text'
    """
    path = Path(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                     dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace",
                       newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private; keep the old file's mode, else rw-r--r--.
        os.chmod(temporary, stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    return path
