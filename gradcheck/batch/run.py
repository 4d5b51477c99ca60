"""Batch grading: :func:`run_batch` and the report it returns (re-exported by
:mod:`gradcheck.batch`, whose docstring describes the whole).

>>> from gradcheck.spec import find_spec, load_sheet
>>> report = run_batch(load_sheet("sheet01"), find_spec("sheet01"), "submissions/",
...                    "grades.csv", feedback="feedback/", jobs=2)    # doctest: +SKIP
>>> report.summary.count, report.summary.mean                         # doctest: +SKIP
(120, 51.3)
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gradcheck.batch.discover import Submission, discover, nobody_submitted
from gradcheck.batch.journal import Journal, file_sha256, journal_path
from gradcheck.batch.pool import GraderPool, Task, default_jobs, watchdog_budget
from gradcheck.batch.roster import NOT_ON_ROSTER, Student, join, missing_note, write_exports
from gradcheck.errors import SandboxError, UsageError
from gradcheck.grading.grader import DEFAULT_TIMEOUT, prepare
from gradcheck.render.csv import (
    GRADED,
    GRADED_WITH_ERRORS,
    LOAD_ERROR,
    MISSING,
    NOT_GRADED,
    row_status,
    write_atomically,
    write_gradebook,
)
from gradcheck.results import ERROR, MANUAL, PASS, ExerciseResult, SheetResult
from gradcheck.sandbox.child.landlock import landlock_abi
from gradcheck.sandbox.confine import mode_warning, pick_mode
from gradcheck.spec import Sheet

HISTOGRAM_BINS = 10
SLOWEST = 5


@dataclass(frozen=True)
class Progress:
    """Where a running batch stands (``total`` counts the submissions to grade; missing ones
    are not among them)."""

    total: int
    done: int = 0
    saved: int = 0          # taken from the journal, not graded again
    failures: int = 0       # load errors, crashes or timeouts, not graded
    last: str = ""          # the id that just finished


@dataclass(frozen=True)
class Row:
    """One student's line in the gradebook."""

    id: str
    result: SheetResult | None   # None: not graded; else possibly without test points
    status: str
    note: str = ""
    saved: bool = False
    feedback: str | None = None  # the Markdown feedback, when it was rendered while grading


@dataclass(frozen=True)
class BatchSummary:
    """Figures of a finished batch, for the terminal (drawn by ``render.batch``)."""

    sheet: str
    title: str
    max_score: float
    count: int                                   # rows in the gradebook
    submitted: int                               # rows with a submission that was graded
    mean: float | None
    median: float | None
    histogram: tuple[tuple[float, float, int], ...]        # (low, high, submissions)
    pass_rates: tuple[tuple[str, float, float], ...]        # (exercise, passed, mean score)
    slowest: tuple[tuple[str, float], ...]                  # (id, seconds)
    load_errors: tuple[tuple[str, str], ...] = ()           # (id, reason)
    with_errors: tuple[tuple[str, str], ...] = ()           # graded; something crashed/timed out
    missing: tuple[tuple[str, str], ...] = ()
    not_graded: tuple[tuple[str, str], ...] = ()
    not_on_roster: tuple[tuple[str, str], ...] = ()        # graded; no roster entry matches
    graded_now: int = 0
    saved: int = 0
    elapsed: float = 0.0
    warnings: tuple[str, ...] = ()
    seed: int | None = None
    seed_source: str = ""        # "given", "journal" (reused on resume) or "drawn"
    mode: str = ""               # the sandbox mode every submission was graded in

    @property
    def rate(self) -> float | None:
        """Submissions graded per second in this run (None when none was graded)."""
        return self.graded_now / self.elapsed if self.graded_now and self.elapsed > 0 else None


@dataclass(frozen=True)
class BatchReport:
    """What :func:`run_batch` did: every row, the summary and the files written."""

    rows: tuple[Row, ...]
    summary: BatchSummary
    gradebook: Path
    journal: Path
    feedback: tuple[Path, ...] = field(default=())
    exports: tuple[Path, ...] = field(default=())           # the LMS import files


def run_batch(sheet: Sheet, spec: str | os.PathLike[str], submissions: str | os.PathLike[str],
              output: str | os.PathLike[str], *, seed: int | None = None,
              timeout: float | None = None, jobs: int | None = None,
              feedback: str | os.PathLike[str] | None = None, id_column: str = "student",
              fresh: bool = False, strip_prefix: bool = False,
              on_progress: Callable[[Progress], None] | None = None,
              roster: Sequence[Student] | None = None, lms: Sequence[str] = (),
              assignment: str | None = None, pin: bool | None = None) -> BatchReport:
    """Grade every submission in ``submissions`` against ``sheet`` (loaded from ``spec``).

    Writes the gradebook to ``output`` (atomically, when all are graded), one Markdown file
    per student to ``feedback`` (``<id>.md``), and the journal beside ``output``.
    ``seed``: the test points' seed; None draws a random one for a fresh journal and reuses
    it when the batch resumes (``report.summary.seed`` says which). ``jobs``: grading
    processes (default: the CPUs this process may use). ``fresh``: ignore and empty the
    journal. ``roster``, ``lms``, ``assignment``: :mod:`gradcheck.batch.roster`. ``pin``:
    keep each grading process to a CPU of its own (None: with one job per CPU;
    :func:`gradcheck.batch.pool.pinned_cpus`). Raises
    UsageError for an empty folder or a journal in use; KeyboardInterrupt stops the grading
    processes and leaves the journal intact.

    >>> from gradcheck.spec import find_spec, load_sheet
    >>> report = run_batch(load_sheet("sheet01"), find_spec("sheet01"), "submissions/",
    ...                    "grades.csv", jobs=2)                      # doctest: +SKIP
    >>> [(row.id, row.status) for row in report.rows][:2]             # doctest: +SKIP
    [('alice', 'graded'), ('bob', 'missing')]
    """
    started = time.monotonic()
    output, journal_file = Path(output), journal_path(output)
    feedback = None if feedback is None else Path(feedback)
    found = discover(submissions, sheet.module, strip_prefix=strip_prefix,
                     exclude=[p for p in (output, journal_file, feedback) if p is not None])
    if not found.submissions:
        raise UsageError(f"no submissions in {submissions}: expected a folder per student "
                         f"(holding {sheet.module}.py or {sheet.module}.ipynb) or .py/.ipynb "
                         "files named after the students")
    if all(s.missing for s in found.submissions):
        raise UsageError(nobody_submitted(sheet.module, found.submissions))
    try:
        mode = pick_mode()
    except SandboxError as exc:
        raise UsageError(str(exc)) from None
    key = {"spec_sha256": sheet.sha256,
           "timeout": float(timeout or sheet.timeout or DEFAULT_TIMEOUT), "sandbox": mode}
    rows: dict[str, Row] = {}
    with Journal(journal_file, key, seed=None if seed is None else int(seed),
                 fresh=fresh) as journal:
        seed = journal.seed
        with GraderPool(Path(spec), seed, timeout, jobs or default_jobs(), sheet.sha256,
                        watchdog_budget(), feedback=feedback is not None, mode=mode,
                        hand=lambda: prepare(sheet, seed).hand(), sheet=sheet,
                        pin=pin) as pool:
            todo = _grade(sheet, seed, found.submissions, rows, pool, journal, on_progress)
            elapsed = time.monotonic() - started
            ordered = tuple(rows[s.id] for s in found.submissions)
            if roster is not None:
                joined = join(ordered, roster, missing=lambda st: Row(
                    st.identifier, missing_result(sheet, seed), MISSING, missing_note(st)))
                ordered = joined.rows
            # Written while the grading processes shut down.
            write_gradebook(output, [(r.id, r.result) for r in ordered], id_column=id_column,
                            statuses=_statuses(ordered, found.submissions))
            exports = () if roster is None else write_exports(
                output, lms, joined, assignment=assignment or sheet.name,
                max_score=sheet.max_score, id_header=id_column)
            written = _write_feedback(feedback, ordered) if feedback is not None else ()
    warnings = list(found.warnings)
    if journal.seed_source == "given" and seed == sheet.seed:
        warnings.append(public_seed_warning(sheet))
    weak = mode_warning(mode, landlock_abi())
    if weak:
        warnings.append(weak)
    summary = summarize(sheet, ordered, graded_now=len(todo), elapsed=elapsed,
                        warnings=warnings)
    summary = dataclasses.replace(summary, seed=seed, seed_source=journal.seed_source,
                                  mode=mode)
    return BatchReport(ordered, summary, output, journal_file, written, exports)


def _statuses(rows: Sequence[Row], submissions: Sequence[Submission]
              ) -> dict[str, tuple[str, str]]:
    """The gradebook's status and note where the result alone does not give them: missing
    and not graded rows, and graded ones where discovery passed other files over."""
    chosen = {s.id: s.note for s in submissions if s.note and not s.missing}
    own = (MISSING, NOT_GRADED, NOT_ON_ROSTER)
    return {r.id: (r.status, r.note) if r.status in own else
            (r.status, "; ".join(n for n in (chosen[r.id], r.note) if n))
            for r in rows if r.status in own or r.id in chosen}


def public_seed_warning(sheet: Sheet) -> str:
    """The warning for grading with the spec's own (public) seed.

    >>> from gradcheck.spec import load_sheet
    >>> public_seed_warning(load_sheet("sheet01")).startswith("the seed")
    True
    """
    return (f"the seed {sheet.seed} is the spec's public one: its test points are the ones "
            "students see, so memorised answers pass; leave --seed out for a random one")


def _grade(sheet: Sheet, seed: int, submissions: Sequence[Submission], rows: dict[str, Row],
           pool: GraderPool, journal: Journal, on_progress) -> list[tuple[Submission, str]]:
    """Fill ``rows``: missing and saved submissions at once, the others graded by ``pool``
    (each saved in the journal as it finishes). Returns the submissions graded now."""
    saved = journal.saved()
    todo: list[tuple[Submission, str]] = []
    for submission in submissions:
        row, digest = _known(sheet, seed, submission, saved)
        if row is not None:
            rows[submission.id] = row
        else:
            todo.append((submission, digest))
    pool.start(len(todo))   # before on_progress, whose display may start a thread
    progress = _Tracker(sum(not s.missing for s in submissions), rows, on_progress)
    if todo:
        def finished(n: int, message: dict, result: bytes) -> None:
            submission, digest = todo[n]
            row = None
            if message.get("op") == "done":
                try:
                    lite = SheetResult.from_dict(message["lite"])
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    message = {"message": f"internal error: an unreadable result ({exc!r})"}
                else:
                    journal.append(submission.id, digest, result)
                    row = _graded(submission.id, lite, message.get("feedback"))
            if row is None:
                row = Row(submission.id, None, NOT_GRADED,
                          str(message.get("message") or "not graded"))
            rows[submission.id] = row
            progress.add(row)

        pool.run([Task(s.path, s.relative) for s, _ in todo], finished)
    return todo


class _Tracker:
    """Counts finished submissions and reports to ``on_progress``: once for the rows known
    before grading (saved, unreadable), then once per graded submission."""

    def __init__(self, total: int, rows: dict[str, Row], on_progress):
        self.on_progress = on_progress
        known = [r for r in rows.values() if r.status != MISSING]
        self.progress = Progress(total, len(known), sum(r.saved for r in known),
                                 sum(_failing(r) for r in known))
        self._report()

    def add(self, row: Row) -> None:
        p = self.progress
        self.progress = Progress(p.total, p.done + 1, p.saved, p.failures + _failing(row),
                                 row.id)
        self._report()

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress)


def _failing(row: Row) -> bool:
    return row.status not in (GRADED, MISSING)


def _known(sheet: Sheet, seed: int, submission: Submission,
           saved: dict[tuple[str, str], SheetResult]) -> tuple[Row | None, str]:
    """The row of a submission that needs no grading (missing, saved, unreadable) and the
    file's SHA-256."""
    if submission.missing:
        return Row(submission.id, missing_result(sheet, seed), MISSING, submission.note), ""
    try:
        digest = file_sha256(submission.path)
    except OSError as exc:
        return Row(submission.id, None, NOT_GRADED, f"cannot read {submission.relative}: "
                   f"{exc.strerror or exc}"), ""
    result = saved.get((submission.id, digest))
    if result is None:
        return None, digest
    row = _graded(submission.id, result)
    return Row(row.id, row.result, row.status, row.note, saved=True), digest


def _graded(student: str, result: SheetResult, feedback: str | None = None) -> Row:
    status, note = row_status(result)
    return Row(student, result, status, note, feedback=feedback)


def missing_result(sheet: Sheet, seed: int) -> SheetResult:
    """The zero result of a student without a submission (every exercise 0, manual ones
    left to the TA).

    >>> from gradcheck.spec import load_sheet
    >>> result = missing_result(load_sheet("sheet01"), 1)
    >>> result.score, result.max_score, result.exercises[0].message
    (0.0, 100.0, 'no submission')
    """
    exercises = tuple(ExerciseResult(
        id=e.id, title=e.title, kind=e.kind, student=e.student, points=e.points, score=0.0,
        status=ERROR if e.automatic else MANUAL,
        message="no submission" if e.automatic else "scored by hand")
        for e in sheet.exercises)
    return SheetResult(sheet=sheet.name, title=sheet.title, module=sheet.module, submission="",
                       score=0.0, max_score=sheet.max_score, manual_points=sheet.manual_points,
                       seed=seed, spec_sha256=sheet.sha256, gradcheck_version="",
                       exercises=exercises)


def summarize(sheet: Sheet, rows: Sequence[Row], *, graded_now: int = 0, elapsed: float = 0.0,
              warnings: Sequence[str] = ()) -> BatchSummary:
    """Mean, median, histogram and per-exercise pass rates over the submitted rows (graded,
    load errors included as their zero; missing and not graded ones are listed apart).

    >>> from gradcheck.spec import load_sheet
    >>> summarize(load_sheet("sheet01"), []).count
    0
    """
    submitted = [r for r in rows if r.result is not None and r.status != MISSING]
    scores = [r.result.score for r in submitted]
    top = sheet.max_score or 1.0
    width = top / HISTOGRAM_BINS
    counts = [0] * HISTOGRAM_BINS
    for score in scores:
        counts[min(HISTOGRAM_BINS - 1, max(0, int(score / width + 1e-9)))] += 1
    histogram = tuple((i * width, (i + 1) * width, c) for i, c in enumerate(counts))
    rates = []
    for exercise in sheet.automatic:
        found = [e for r in submitted for e in r.result.exercises if e.id == exercise.id]
        passed = sum(e.status == PASS for e in found) / len(found) if found else 0.0
        mean = (sum(e.score / e.points for e in found if e.points) / len(found)
                if found else 0.0)
        rates.append((exercise.id, passed, mean))
    slowest = sorted(((r.id, r.result.duration) for r in submitted), key=lambda x: -x[1])
    pick = {status: tuple((r.id, r.note) for r in rows if r.status == status)
            for status in (LOAD_ERROR, GRADED_WITH_ERRORS, MISSING, NOT_GRADED, NOT_ON_ROSTER)}
    return BatchSummary(
        sheet=sheet.name, title=sheet.title, max_score=sheet.max_score, count=len(rows),
        submitted=len(submitted), mean=statistics.fmean(scores) if scores else None,
        median=statistics.median(scores) if scores else None, histogram=histogram,
        pass_rates=tuple(rates), slowest=tuple(slowest[:SLOWEST]),
        load_errors=pick[LOAD_ERROR], with_errors=pick[GRADED_WITH_ERRORS],
        missing=pick[MISSING], not_graded=pick[NOT_GRADED], not_on_roster=pick[NOT_ON_ROSTER],
        graded_now=graded_now,
        saved=sum(r.saved for r in rows), elapsed=elapsed, warnings=tuple(warnings))


def _write_feedback(folder: Path, rows: Sequence[Row]) -> tuple[Path, ...]:
    """``<folder>/<safe id>.md`` for every student with a result (written atomically)."""
    from gradcheck.render.batch import missing_feedback, unrendered_feedback
    from gradcheck.render.csv import safe_filename
    from gradcheck.render.markdown import to_markdown

    folder.mkdir(parents=True, exist_ok=True)
    written, taken = [], set()
    for row in rows:
        if row.result is None:
            continue
        if row.feedback is not None:
            text = row.feedback
        elif row.status == MISSING:
            text = missing_feedback(row.result, row.note)
        else:
            try:
                text = to_markdown(row.result)   # a result saved in the journal (complete)
            except Exception as exc:  # noqa: BLE001 - one result's feedback, not the batch
                text = unrendered_feedback(row.result, exc)
        written.append(write_atomically(folder / f"{safe_filename(row.id, taken)}.md", text))
    return tuple(written)
