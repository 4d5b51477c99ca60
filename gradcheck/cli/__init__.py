"""The ``gradcheck`` command line: thin click commands over the library.

Commands parse options, call the library, pick a renderer, and turn our exceptions into
messages and exit codes at this edge: 0 all points, 1 points lost, 2 usage or spec errors,
130 interrupted (Ctrl-C).
Each command lives in its own module; they import the library lazily, so that ``--help`` and
the sandbox start fast.
"""

# ruff: noqa: E402 - the sandbox starts before the imports below

from __future__ import annotations

import sys

from gradcheck.cli import early

early.start(sys.argv)   # grade: the sandbox's zygote imports numpy while click imports here

import click

from gradcheck import __version__
from gradcheck.cli.batch import batch_command
from gradcheck.cli.check import check_command
from gradcheck.cli.common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from gradcheck.cli.grade import grade
from gradcheck.cli.sheets import classroom, init, list_sheets
from gradcheck.cli.validate import validate_command

__all__ = ["main", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE"]


class _Commands(click.Group):
    """The command group: Ctrl-C exits 130 in every command (click's own default is 1, which
    reads as "points lost")."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gradcheck")
def main() -> None:
    """Check derivatives of numpy code and grade derivative exercises."""


for command in (grade, check_command, list_sheets, init, classroom, validate_command,
                batch_command):
    main.add_command(command)
