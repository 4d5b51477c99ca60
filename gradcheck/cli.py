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


@main.command()
@click.argument("sheet")
@click.option("--submission", "-s", type=click.Path(dir_okay=False),
              help="The file to grade (default: <module>.py, else <module>.ipynb, here).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to this file instead of standard output.")
@click.option("--seed", type=int, help="Seed for the random test points (default: the spec's).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
              help="Seconds allowed per call of a student function (default: the spec's, or 5).")
@click.option("--verbose", "-v", is_flag=True, help="Show every test point in the table.")
def grade(sheet, submission, fmt, output, seed, timeout, verbose):
    """Grade a submission of SHEET (a bundled sheet name or a spec file).

    Exit code 0 when every automatic point is scored, 1 when points are lost, 2 for usage or
    spec errors and a submission file that does not exist.
    """
    from gradcheck import grader
    from gradcheck.errors import GradcheckError
    from gradcheck.sandbox import Sandbox

    spec = _load(sheet)
    try:
        path = grader.find_submission(spec, submission)
        with Sandbox(forbid=spec.forbid) as sandbox:
            prepared = grader.prepare(spec, seed)
            result = grader.grade(prepared, path, timeout=timeout, sandbox=sandbox)
    except GradcheckError as exc:
        raise _fail(exc) from None
    _emit(result, fmt, output, verbose)
    sys.exit(EXIT_OK if result.passed else EXIT_FAILED)


def _emit(result, fmt: str, output: str | None, verbose: bool) -> None:
    from gradcheck.render import json as render_json
    from gradcheck.render import table

    if fmt == "json":
        text = render_json.to_json(result)
        if output:
            _write(output, text)
        else:
            click.echo(text)
        return
    console = _console(output)
    table.print_sheet(result, console, verbose=verbose)
    if output:
        _write(output, console.export_text())


def _console(output: str | None):
    from rich.console import Console

    if output:
        return Console(record=True, width=120, color_system=None, force_terminal=False,
                       file=open(os.devnull, "w"))  # noqa: SIM115
    return Console()


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
