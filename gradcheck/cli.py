"""The ``gradcheck`` command line: thin click commands over the library.

Commands parse options, call the library, pick a renderer, and turn our exceptions into
messages and exit codes here, at the edge: 0 all points, 1 points lost, 2 usage or spec errors.
"""

from __future__ import annotations

import click

from gradcheck import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gradcheck")
def main() -> None:
    """Check derivatives of numpy code and grade derivative exercises."""
