"""Batch grading on the terminal: the progress display while grading, the summary after it,
and the feedback file of a student without a submission.

Everything here only draws what ``gradcheck.batch`` computed (a ``Progress`` while running,
a ``BatchSummary`` at the end); bar charts are drawn with block characters. Every text that
comes from a submission, a student's folder name or a spec is passed to rich as ``Text``,
never as markup (``[link=...]`` or ``[/bold]`` in a load error stay text).

>>> bar(0.5, 8), bar(0.3, 4), bar(0.0, 4)
('████    ', '█▎  ', '    ')
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from gradcheck.render.common import fmt_num, one_line, printable
from gradcheck.render.markdown import md_escape
from gradcheck.results import SheetResult

_EIGHTHS = " ▏▎▍▌▋▊▉"
BAR_WIDTH = 30
LISTED = 10          # problems listed per kind, then "... and N more"


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of ``width`` characters filled to ``fraction`` (eighths of a block)."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_EIGHTHS[part] if part else "")
    return text + " " * (width - len(text))


class _Rate(ProgressColumn):
    """Submissions per second, measured over what was graded in this run."""

    def render(self, task: Any) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:.1f}/s", style="progress.data.speed")


class BatchProgress:
    """The progress display: ``with BatchProgress(jobs) as show: run_batch(...,
    on_progress=show)``. A rich bar on a terminal (done/total, rate, time left, failures);
    otherwise a plain line at every tenth of the way, on standard error."""

    def __init__(self, jobs: int, console: Console | None = None):
        self.console = console or Console(stderr=True, highlight=False)
        self.jobs = jobs
        self.live = self.console.is_terminal
        self._progress: Progress | None = None
        self._task: Any = None
        self._started = time.monotonic()
        self._base = 0
        self._next_line = 0

    def __enter__(self) -> BatchProgress:
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def __call__(self, progress: Any) -> None:
        failing = f"[red]{progress.failures} failing" if progress.failures else ""
        if self.live and self._progress is None:
            # started at the first report, not on entry: its refresh thread would keep the
            # batch from forking its grading processes (gradcheck.batch.start.forkable)
            self._progress = Progress(
                TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(), _Rate(),
                TextColumn("·"), TimeRemainingColumn(), TextColumn("{task.fields[failing]}"),
                console=self.console, transient=False)
            self._progress.__enter__()
        if self._progress is not None:
            if self._task is None:
                self._task = self._progress.add_task("grading", total=progress.total,
                                                     completed=progress.done, failing=failing)
            else:
                self._progress.update(self._task, completed=progress.done, failing=failing)
            return
        if self._task is None:
            self._task, self._base = True, progress.done
            saved = f", {progress.saved} saved before" if progress.saved else ""
            self.console.print(f"grading {progress.total - progress.done} of {progress.total} "
                               f"submissions with {self.jobs} job(s){saved}")
            self._next_line = progress.done
        if progress.done >= self._next_line or progress.done == progress.total:
            elapsed = time.monotonic() - self._started
            graded = progress.done - self._base
            rate = f", {graded / elapsed:.1f}/s" if graded and elapsed > 0 else ""
            self.console.print(f"{progress.done}/{progress.total} done, {progress.failures} "
                               f"failing{rate}")
            self._next_line = progress.done + max(1, progress.total // 10)


def print_summary(summary: Any, console: Console) -> None:
    """The summary of a finished batch: counts, mean/median, score histogram, pass rate per
    exercise, the slowest submissions, and every failing one.

    >>> import io
    >>> from gradcheck.batch import summarize
    >>> from gradcheck.spec import load_sheet
    >>> console = Console(file=io.StringIO(), width=80, color_system=None)
    >>> print_summary(summarize(load_sheet("sheet01"), []), console)
    >>> console.file.getvalue().splitlines()[1].strip("│ ")
    '0 students: 0 submitted'
    """
    parts: list[Any] = [_headline(summary)]
    if summary.submitted:
        parts += [Text(""), _histogram(summary), Text(""), _pass_rates(summary)]
    if summary.slowest:
        parts += [Text(""), _slowest(summary)]
    console.print(Panel(Group(*parts), title=Text(f"{summary.sheet} — batch summary"),
                        title_align="left", expand=False))
    for title, items, style in (("Load errors", summary.load_errors, "red"),
                                ("Graded, but something crashed or timed out",
                                 summary.with_errors, "yellow"),
                                ("Missing", summary.missing, "yellow"),
                                ("Not graded", summary.not_graded, "bold red"),
                                ("Graded, but on no one's roster row (kept in the gradebook)",
                                 getattr(summary, "not_on_roster", ()), "yellow")):
        if items:
            console.print(_problems(title, items, style))
    for warning in summary.warnings:
        console.print(Text(f"warning: {printable(warning)}", style="yellow"))


def _headline(summary: Any) -> Text:
    submitted = f"{summary.submitted} submitted"
    if summary.load_errors:
        submitted += f" ({len(summary.load_errors)} did not load)"
    kinds = [(submitted, 1), (f"{len(summary.missing)} missing", len(summary.missing)),
             (f"{len(summary.not_graded)} not graded", len(summary.not_graded))]
    students = f"{summary.count} student" + ("" if summary.count == 1 else "s")
    text = Text(f"{students}: " + ", ".join(k for k, n in kinds if n))
    if summary.mean is not None:
        text.append(f"\nmean {fmt_num(summary.mean)} · median {fmt_num(summary.median)} "
                    f"of {fmt_num(summary.max_score)} automatic points")
    when = f"\n{summary.graded_now} graded in {summary.elapsed:.1f} s"
    if summary.rate is not None:
        when += f" ({summary.rate:.1f} submissions/s)"
    if summary.saved:
        when += f", {summary.saved} saved before (journal)"
    text.append(when, style="dim")
    if summary.seed is not None:
        source = {"drawn": "drawn at random for this batch, recorded in the journal",
                  "journal": "drawn at random when this batch started, from the journal",
                  "given": "given with --seed"}.get(summary.seed_source, summary.seed_source)
        text.append(f"\nseed {summary.seed} ({source})", style="dim")
    if summary.mode:
        text.append(f"\nsandbox: {summary.mode}", style="dim")
    return text


def _histogram(summary: Any) -> Table:
    table = Table(title="Scores", title_justify="left", box=None, padding=(0, 1))
    table.add_column("points", justify="right")
    table.add_column("", no_wrap=True)
    table.add_column("students", justify="right")
    top = max((c for _, _, c in summary.histogram), default=0) or 1
    last = len(summary.histogram) - 1
    for i, (low, high, count) in enumerate(summary.histogram):
        close = "]" if i == last else ")"
        table.add_row(Text(f"[{fmt_num(low, 1)}, {fmt_num(high, 1)}{close}"),
                      Text(bar(count / top), style="cyan"), Text(str(count)))
    return table


def _pass_rates(summary: Any) -> Table:
    table = Table(title="Passed, per exercise", title_justify="left", box=None,
                  padding=(0, 1))
    table.add_column("exercise")
    table.add_column("", no_wrap=True)
    table.add_column("passed", justify="right")
    table.add_column("mean score", justify="right")
    for exercise, passed, mean in summary.pass_rates:
        style = "green" if passed >= 0.8 else "yellow" if passed >= 0.5 else "red"
        table.add_row(Text(exercise), Text(bar(passed), style=style), Text(f"{passed:.0%}"),
                      Text(f"{mean:.0%}"))
    return table


def _slowest(summary: Any) -> Table:
    table = Table(title="Slowest", title_justify="left", box=None, padding=(0, 1))
    table.add_column("student")
    table.add_column("seconds", justify="right")
    for student, seconds in summary.slowest:
        table.add_row(Text(printable(student)), Text(f"{seconds:.2f}"))
    return table


def _problems(title: str, items: tuple[tuple[str, str], ...], style: str) -> Table:
    table = Table(title=f"{title} ({len(items)})", title_justify="left", title_style=style,
                  show_header=False, box=None, padding=(0, 1))
    table.add_column("student", no_wrap=True)
    table.add_column("why")
    for student, why in items[:LISTED]:
        table.add_row(Text(printable(student)), Text(printable(one_line(why, 200))))
    if len(items) > LISTED:
        table.add_row(Text("…"), Text(f"and {len(items) - LISTED} more (see the gradebook's "
                                      "note column)"))
    return table


def unrendered_feedback(result: SheetResult, problem: BaseException) -> str:
    """The feedback file of a result the Markdown renderer failed on (Markdown): the score,
    and that the details are in the gradebook and the journal.

    >>> from gradcheck.results import SheetResult
    >>> empty = SheetResult(sheet="s", title="", module="s", submission="", score=1.0,
    ...                     max_score=4.0, manual_points=0.0, seed=1, spec_sha256="",
    ...                     gradcheck_version="", exercises=())
    >>> unrendered_feedback(empty, ValueError("x")).splitlines()[0]
    '# s: 1 / 4 points'
    """
    return (f"# {md_escape(result.sheet)}: {fmt_num(result.score)} / "
            f"{fmt_num(result.max_score)} points\n\n"
            f"The details could not be written here ({md_escape(type(problem).__name__)}); "
            "the gradebook and the batch's journal hold the full result.\n")


def missing_feedback(result: SheetResult, note: str) -> str:
    """The feedback file of a student without a submission (Markdown).

    >>> from gradcheck.results import SheetResult
    >>> empty = SheetResult(sheet="s", title="", module="s", submission="", score=0.0,
    ...                     max_score=4.0, manual_points=0.0, seed=1, spec_sha256="",
    ...                     gradcheck_version="", exercises=())
    >>> missing_feedback(empty, "no s.py or s.ipynb in bob/").splitlines()[0]
    '# s: 0 / 4 points'
    """
    return (f"# {md_escape(result.sheet)}: 0 / {fmt_num(result.max_score)} points\n\n"
            f"No submission was found: {md_escape(note)}.\n\n"
            f"Submit `{result.module}.py` or `{result.module}.ipynb`.\n")

