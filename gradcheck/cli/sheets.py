"""Commands about sheets themselves: ``list``, ``init`` (student template), ``classroom init``."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from gradcheck.cli.common import fail, load_spec


@click.command(name="list", short_help="List the bundled sheets and their exercises.")
def list_sheets():
    """List the bundled sheets and their exercises."""
    from rich.console import Console
    from rich.table import Table

    from gradcheck.errors import SpecError
    from gradcheck.spec import bundled_sheets, load_sheet

    console = Console()
    for name in bundled_sheets():
        try:
            sheet = load_sheet(name)
        except SpecError as exc:  # one broken spec does not hide the others
            console.print(f"[red]{name}: {exc}[/red]\n", markup=True, highlight=False)
            continue
        table = Table(title=f"{sheet.name} — {sheet.title}", title_justify="left")
        for column in ("exercise", "title", "points", "kind", "student writes"):
            table.add_column(column)
        for e in sheet.exercises:
            table.add_row(e.id, e.title, f"{e.points:g}", e.kind, e.student or "—")
        console.print(table)
        console.print(f"{sheet.max_score:g} automatic points, {sheet.manual_points:g} manual; "
                      f"module {sheet.module}.py or {sheet.module}.ipynb\n")


@click.command(short_help="Write the student template of SHEET.")
@click.argument("sheet")
@click.option("--directory", "-d", type=click.Path(file_okay=False), default=".",
              show_default=True, help="Folder to write the template into.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(sheet, directory, force):
    """Write the student template of SHEET (refuses to overwrite an existing file)."""
    from gradcheck.errors import UsageError
    from gradcheck.spec.template import sheet_argument, write_template

    spec = load_spec(sheet)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        path = write_template(spec, folder, force=force)
    except UsageError as exc:
        raise fail(exc) from None
    command = f"gradcheck grade {sheet_argument(spec)}"
    if folder.resolve() != Path.cwd():
        command += f" -s {shlex.quote(str(path))}"
    count = len(spec.automatic)
    click.echo(f"wrote {path}: {count} exercise{'' if count == 1 else 's'} to implement; check "
               f"your work with `{command}`")


@click.group(short_help="Set up a GitHub Classroom template repository.")
def classroom():
    """GitHub Classroom: set up a template repository."""


@classroom.command(name="init", short_help="Write the workflow that grades SHEET on every push.")
@click.argument("sheet")
@click.option("--directory", "-d", type=click.Path(file_okay=False), default=".",
              show_default=True, help="Root of the template repository.")
@click.option("--python", "python_version", default="3.11", show_default=True,
              help="Python version the workflow sets up.")
@click.option("--package-spec", default=None,
              help="What the workflow pip-installs, pinned to one version: e.g. "
                   "'gradcheck @ git+https://github.com/<owner>/gradcheck@v0.1.0', or "
                   "gradcheck==0.1.0 from a package index that serves it.")
@click.option("--vendor", is_flag=True,
              help="Copy a wheel of this gradcheck into .github/gradcheck/ and install that.")
@click.option("--force", is_flag=True, help="Overwrite an existing workflow.")
def classroom_init(sheet, directory, python_version, package_spec, vendor, force):
    """Write .github/workflows/classroom.yml that grades SHEET on every push.

    Say how it installs gradcheck: --package-spec (a pinned version from a source you name)
    or --vendor (a wheel of the gradcheck you are running, copied into the repository).
    """
    from gradcheck.errors import GradcheckError
    from gradcheck.render.workflow import write_classroom

    load_spec(sheet)  # the workflow must grade a sheet that exists
    try:
        paths = write_classroom(Path(directory), sheet, python=python_version,
                                package_spec=package_spec, vendor=vendor, force=force)
    except GradcheckError as exc:
        raise fail(exc) from None
    for path in paths:
        click.echo(f"wrote {path}")
    click.echo("See docs/classroom.md for the template repository layout and re-grading.")
