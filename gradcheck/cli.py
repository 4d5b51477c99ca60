"""The ``gradcheck`` command line: thin click commands over the library.

Commands parse options, call the library, pick a renderer, and turn our exceptions into
messages and exit codes here, at the edge: 0 all points, 1 points lost, 2 usage or spec errors.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from gradcheck import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gradcheck")
def main() -> None:
    """Check derivatives of numpy code and grade derivative exercises."""


def _fail(exc: Exception) -> click.ClickException:
    """Our library errors, shown as one clean message with exit code 2."""
    error = click.ClickException(str(exc))
    error.exit_code = EXIT_USAGE
    return error


def _load(sheet: str):
    from gradcheck.errors import SpecError
    from gradcheck.spec import load_sheet

    try:
        return load_sheet(sheet)
    except SpecError as exc:
        raise _fail(exc) from None


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


def _exit_code(result, min_score: tuple[float, bool] | None) -> int:
    if min_score is None:
        return EXIT_OK if result.passed else EXIT_FAILED
    number, percent = min_score
    needed = number / 100 * result.max_score if percent else number
    return EXIT_OK if result.score >= needed - 1e-9 else EXIT_FAILED


@main.command()
@click.argument("sheet")
@click.option("--submission", "-s", type=click.Path(dir_okay=False),
              help="The file to grade (default: <module>.py, else <module>.ipynb, here).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
              show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to this file instead of standard output.")
@click.option("--seed", type=int, help="Seed for the random test points (default: the spec's).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
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
    from gradcheck import grader
    from gradcheck.errors import GradcheckError
    from gradcheck.sandbox import Sandbox

    threshold = _min_score(min_score)
    if github:
        from gradcheck.render.github import require_github

        try:
            require_github(os.environ)
        except GradcheckError as exc:
            raise _fail(exc) from None
    spec = _load(sheet)
    try:
        path = grader.find_submission(spec, submission)
        with Sandbox(forbid=spec.forbid) as sandbox:
            prepared = grader.prepare(spec, seed)
            result = grader.grade(prepared, path, timeout=timeout, sandbox=sandbox)
    except GradcheckError as exc:
        raise _fail(exc) from None
    if github:
        _emit_github(result, verbose)
    if not github or output or fmt != "table":
        _emit(result, fmt, output, verbose)
    sys.exit(_exit_code(result, threshold))


def _emit_github(result, verbose: bool) -> None:
    from gradcheck.render.github import protected_table, write_github
    from gradcheck.render.markdown import to_markdown

    click.echo(protected_table(result, verbose=verbose))
    for line in write_github(result, os.environ, markdown=to_markdown(result)):
        click.echo(line)


def _render_text(result, fmt: str) -> str:
    from gradcheck import render

    return {"json": render.to_json, "junit": render.to_junit, "markdown": render.to_markdown,
            "gradescope": render.to_gradescope}[fmt](result)


def _emit(result, fmt: str, output: str | None, verbose: bool) -> None:
    if fmt != "table":
        text = _render_text(result, fmt)
        if output:
            _write(output, text)
        else:
            click.echo(text.rstrip("\n"))
        return
    from rich.console import Console

    from gradcheck.render.table import print_sheet

    if output:
        with open(os.devnull, "w") as sink:
            console = Console(record=True, width=120, color_system=None, file=sink)
            print_sheet(result, console, verbose=verbose)
        _write(output, console.export_text())
    else:
        print_sheet(result, Console(), verbose=verbose)


def _write(path: str, text: str) -> None:
    Path(path).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


@main.command(name="list")
def list_sheets():
    """List the bundled sheets and their exercises."""
    from rich.console import Console
    from rich.table import Table

    from gradcheck.spec import bundled_sheets, load_sheet

    console = Console()
    for name in bundled_sheets():
        sheet = load_sheet(name)
        table = Table(title=f"{sheet.name} — {sheet.title}", title_justify="left")
        for column in ("exercise", "title", "points", "kind", "student writes"):
            table.add_column(column)
        for e in sheet.exercises:
            table.add_row(e.id, e.title, f"{e.points:g}", e.kind, e.student or "—")
        console.print(table)
        console.print(f"{sheet.max_score:g} automatic points, {sheet.manual_points:g} manual; "
                      f"module {sheet.module}.py or {sheet.module}.ipynb\n")


@main.command()
@click.argument("sheet")
@click.option("--directory", "-d", type=click.Path(file_okay=False), default=".",
              show_default=True, help="Folder to write the template into.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(sheet, directory, force):
    """Write the student template of SHEET (refuses to overwrite an existing file)."""
    from gradcheck.errors import UsageError
    from gradcheck.template import write_template

    spec = _load(sheet)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        path = write_template(spec, folder, force=force)
    except UsageError as exc:
        raise _fail(exc) from None
    click.echo(f"wrote {path}: {len(spec.automatic)} exercises to implement; check your work "
               f"with `gradcheck grade {spec.name}`")


@main.group()
def classroom():
    """GitHub Classroom: set up a template repository."""


@classroom.command(name="init")
@click.argument("sheet")
@click.option("--directory", "-d", type=click.Path(file_okay=False), default=".",
              show_default=True, help="Root of the template repository.")
@click.option("--python", "python_version", default="3.11", show_default=True,
              help="Python version the workflow sets up.")
@click.option("--package-spec", default="gradcheck", show_default=True,
              help="What the workflow pip-installs (pin a version, e.g. gradcheck==0.1.0).")
@click.option("--force", is_flag=True, help="Overwrite an existing workflow.")
def classroom_init(sheet, directory, python_version, package_spec, force):
    """Write .github/workflows/classroom.yml that grades SHEET on every push."""
    from gradcheck.classroom import write_classroom
    from gradcheck.errors import GradcheckError

    _load(sheet)  # the workflow must grade a sheet that exists
    try:
        paths = write_classroom(Path(directory), sheet, python=python_version,
                                package_spec=package_spec, force=force)
    except GradcheckError as exc:
        raise _fail(exc) from None
    for path in paths:
        click.echo(f"wrote {path}")
    click.echo("See docs/classroom.md for the template repository layout and re-grading.")
