"""The sandbox of ``gradcheck grade``, started before the command line is read.

A grade waits for its sandbox's zygote, a Python process that imports numpy (about as long
as this process takes to import click, numpy and the grading modules). :func:`start` runs
first thing in :mod:`gradcheck.cli`, before click is imported, and starts the sandbox when
the command is ``grade``; the command takes it with :func:`sandbox`.

>>> start(["gradcheck", "grade", "--help"])   # no sandbox for help
>>> _started is None
True
"""

from __future__ import annotations

from collections.abc import Sequence

_started = None   # the Sandbox started by start(), until the command takes it


def start(argv: Sequence[str]) -> None:
    """Start the sandbox now when ``argv`` runs ``grade`` (and not its help)."""
    global _started
    args = list(argv[1:])
    if args[:1] != ["grade"] or "--help" in args or "-h" in args or _started is not None:
        return
    from gradcheck.errors import GradcheckError
    from gradcheck.sandbox import Sandbox

    try:
        _started = Sandbox()
    except GradcheckError:
        return   # the command starts its own and reports why it cannot


def sandbox():
    """The sandbox :func:`start` started (once), else a new one; the caller closes it."""
    global _started
    from gradcheck.sandbox import Sandbox

    started, _started = _started, None
    return started if started is not None else Sandbox()
