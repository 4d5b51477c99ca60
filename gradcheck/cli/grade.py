"""``gradcheck grade``: one submission, every report format, GitHub Actions, --min-score."""

from __future__ import annotations

import dataclasses
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import click

from gradcheck.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Seconds,
    fail,
    grading_process_setup,
    load_spec,
    write_text,
)

FORMATS = ("table", "json", "junit", "markdown", "gradescope")


def _min_score(value: str | None) -> tuple[float, bool] | None:
    """``--min-score``: points ("50") or a percentage of the automatic points ("80%")."""
    if value is None:
        return None
    text = value.strip()
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither points (50) nor a percentage (80%)",
                                 param_hint="--min-score") from None
    if number < 0 or (percent and number > 100):
        raise click.BadParameter(f"{value!r} is out of range", param_hint="--min-score")
    return number, percent


def _check_min_score(min_score: tuple[float, bool] | None, max_score: float) -> None:
    if min_score is not None and not min_score[1] and min_score[0] > max_score + 1e-9:
        raise click.BadParameter(f"{min_score[0]:g} is above the sheet's {max_score:g} "
                                 "automatic points", param_hint="--min-score")


def _exit_code(result, min_score: tuple[float, bool] | None) -> int:
    if min_score is None:
        return EXIT_OK if result.passed else EXIT_FAILED
    number, percent = min_score
    needed = number / 100 * result.max_score if percent else number
    return EXIT_OK if result.score >= needed - 1e-9 else EXIT_FAILED


@click.command(short_help="Grade one submission of a sheet.")
@click.argument("sheet")
@click.option("--submission", "-s", type=click.Path(dir_okay=False),
              help="The file to grade (default: <module>.py, else <module>.ipynb, here).")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="table",
              show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write the report to this file (its folder is created) instead of "
                   "standard output.")
@click.option("--seed", type=click.IntRange(min=0),
              help="Seed for the random test points (default: the spec's).")
@click.option("--timeout", type=Seconds(),
              help="Seconds allowed per call of a student function (default: the spec's, or 5).")
@click.option("--min-score", "min_score",
              help="Exit 0 from this score on: points (50) or percent of the automatic points "
                   "(80%). Default: all automatic points.")
@click.option("--github", is_flag=True,
              help="In GitHub Actions: report points to GitHub Classroom (step output "
                   "`result`), write the job summary and annotations.")
@click.option("--verbose", "-v", is_flag=True, help="Show every test point in the table.")
def grade(sheet, submission, fmt, output, seed, timeout, min_score, github, verbose):
    """Grade a submission of SHEET (a bundled sheet name or a spec file).

    Exit code 0 when every automatic point is scored (or at least --min-score), 1 when points
    are lost, 2 for usage or spec errors and a submission file that does not exist.
    """
    grading_process_setup()
    from gradcheck.cli import early
    from gradcheck.errors import GradcheckError

    threshold = _min_score(min_score)
    if github:
        from gradcheck.render.github import require_github

        try:
            require_github(os.environ)
        except GradcheckError as exc:
            raise fail(exc) from None
    # Start the sandbox first: its zygote imports numpy in the background while the spec
    # loads; the submission then loads in its worker while the grading modules import and
    # the test points are drawn here, and the fixed points are checked (in a forked process,
    # on the core the worker leaves idle) while it is graded.
    sandbox = early.sandbox()
    try:
        with ThreadPoolExecutor(2) as background:
            from gradcheck.grading import choice

            spec = load_spec(sheet)
            _check_min_score(threshold, spec.max_score)
            try:
                path = choice.find_submission(spec, submission)
                opening = background.submit(sandbox.open, path, module=spec.module,
                                            forbid=spec.forbid)
                from gradcheck.grading import grader

                # CI grading (--github) draws its points afresh: a student's repository cannot
                # slip it a cache file.
                prepared = grader.prepare(spec, seed, cache=not github, check_fixed=False)
                from gradcheck.grading.aside import check_aside

                # grade() waits for the findings before it returns
                background.submit(prepared.check_fixed, check_aside(prepared))
                result = grader.grade(prepared, path, timeout=timeout, session=opening)
                if submission is None:   # say which file was graded when another was found
                    note = choice.locate(spec.module)[1]
                    if note:
                        result = dataclasses.replace(result, warnings=(note, *result.warnings))
                warning = sandbox.warning
            except GradcheckError as exc:
                raise fail(exc) from None
    except BaseException:
        sandbox.close()
        raise
    # The grade is final: the report is written while the sandbox closes (its worker and
    # zygote end, its folders go), which took ~4 ms of waiting before.
    closing = threading.Thread(target=sandbox.close)
    closing.start()
    try:
        if warning:
            click.echo(f"warning: {warning}", err=True)
        if github:
            _emit_github(result, verbose)
        if not github or output or fmt != "table":
            _emit(result, fmt, output, verbose, github)
    finally:
        closing.join()
    early.finish(_exit_code(result, threshold))


def _emit_github(result, verbose: bool) -> None:
    from gradcheck.errors import GradcheckError
    from gradcheck.render.github import protected_table, write_github
    from gradcheck.render.markdown import to_markdown

    click.echo(protected_table(result, verbose=verbose))
    try:
        lines = write_github(result, os.environ, markdown=to_markdown(result))
    except GradcheckError as exc:
        raise fail(exc) from None
    for line in lines:
        click.echo(line)


def _render_text(result, fmt: str) -> str:
    from gradcheck import render

    # by name: render imports a renderer when it is first asked for (junit's alone, with
    # its regular expressions, took ~9 ms of a JSON report)
    return getattr(render, f"to_{fmt}")(result)


def _emit(result, fmt: str, output: str | None, verbose: bool, github: bool = False) -> None:
    if fmt != "table":
        text = _render_text(result, fmt)
        if output:
            write_text(output, text)
        elif github:   # standard output is the Actions log: nothing in it may be a command
            from gradcheck.render.github import protect_log

            click.echo(protect_log(text))
        else:
            click.echo(text.rstrip("\n"))
        return
    from rich.console import Console

    from gradcheck.render.table import print_sheet

    if output:
        with open(os.devnull, "w") as sink:
            console = Console(record=True, width=120, color_system=None, file=sink)
            print_sheet(result, console, verbose=verbose)
        write_text(output, console.export_text())
    else:
        print_sheet(result, Console(), verbose=verbose)
