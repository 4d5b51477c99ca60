"""``gradcheck batch``: a folder of submissions -> gradebook, feedback files, summary."""

from __future__ import annotations

import sys

import click

from gradcheck.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Seconds,
    fail,
    grading_process_setup,
    load_spec,
)

EXIT_INTERRUPTED = 130


@click.command("batch", short_help="Grade every submission in a folder.")
@click.argument("sheet")
@click.argument("submissions", type=click.Path(exists=True, file_okay=False))
@click.option("--output", "-o", type=click.Path(dir_okay=False), default="grades.csv",
              show_default=True, help="The gradebook CSV (its journal is written beside it).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Grading processes  [default: the number of CPUs]")
@click.option("--timeout", type=Seconds(),
              help="Seconds allowed per call of a student function (default: the spec's, or 5).")
@click.option("--seed", type=click.IntRange(min=0),
              help="Seed for the random test points (default: a random one, drawn when the "
                   "batch starts and reused when it resumes; shown in the summary).")
@click.option("--feedback", type=click.Path(file_okay=False),
              help="Write one Markdown feedback file per student into this folder.")
@click.option("--id-column", default="student", show_default=True,
              help="Header of the id column (what the LMS import expects).")
@click.option("--strip-prefix", is_flag=True,
              help="Drop the '<assignment>-' prefix all folder names share from the ids.")
@click.option("--fresh", is_flag=True,
              help="Grade everything again: empty the journal of earlier runs first.")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False),
              help="GitHub Classroom's roster export, or a CSV of identifier,github_username: "
                   "one row per student (missing ones too), keyed by the LMS identifier.")
@click.option("--lms", type=click.Choice(["canvas", "moodle", "ilias"]), multiple=True,
              help="Also write the import file of this LMS beside the gradebook "
                   "(grades.<lms>.csv); needs --roster. Repeatable.")
@click.option("--lms-assignment", default=None,
              help="The assignment column of the LMS file  [default: the sheet's name]")
def batch_command(sheet, submissions, output, jobs, timeout, seed, feedback, id_column,
                  strip_prefix, fresh, roster, lms, lms_assignment):
    """Grade every submission in SUBMISSIONS against SHEET: a gradebook CSV, feedback files.

    SUBMISSIONS holds a folder per student (e.g. GitHub Classroom's download) with
    <module>.py or <module>.ipynb, or one .py/.ipynb file per student. Each submission is
    graded in its own sandboxed process; finished ones are saved in a journal at once, so an
    interrupted batch resumes when run again. Exit code 0 when every submission was graded
    (whatever the scores), 1 when some could not be graded, 2 for usage or spec errors,
    130 when interrupted.

    \b
    gradcheck batch sheet01 submissions/ -o grades.csv --feedback feedback/
    """
    from rich.console import Console

    grading_process_setup()   # the grading processes inherit its environment
    from gradcheck.batch import default_jobs, run_batch
    from gradcheck.batch.roster import read_roster
    from gradcheck.errors import GradcheckError, UsageError
    from gradcheck.render.batch import BatchProgress, print_summary
    from gradcheck.spec import find_spec

    spec = load_spec(sheet)
    jobs = jobs or default_jobs()
    try:
        if lms and not roster:
            raise UsageError("--lms needs --roster: an LMS imports grades by its own "
                             "identifiers, which only the roster links to the submissions")
        students = read_roster(roster) if roster else None
        with BatchProgress(jobs) as show:
            report = run_batch(spec, find_spec(sheet), submissions, output, seed=seed,
                               timeout=timeout, jobs=jobs, feedback=feedback,
                               id_column=id_column, fresh=fresh, strip_prefix=strip_prefix,
                               on_progress=show, roster=students, lms=lms,
                               assignment=lms_assignment)
    except GradcheckError as exc:
        raise fail(exc) from None
    except KeyboardInterrupt:
        click.echo("interrupted: finished submissions are saved in the journal; run the same "
                   "command again to continue", err=True)
        sys.exit(EXIT_INTERRUPTED)
    print_summary(report.summary, Console(highlight=False))
    where = f"wrote {report.gradebook}"
    if feedback:
        where += f" and {len(report.feedback)} feedback files in {feedback}"
    for path in report.exports:
        where += f"\nwrote {path}"
    click.echo(where)
    sys.exit(EXIT_FAILED if report.summary.not_graded else EXIT_OK)
