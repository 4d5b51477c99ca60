"""The sandbox of ``gradcheck grade``, started before the command line is read (and the
cyclic garbage collector made to run rarely, before anything is imported).

A grade waits for its sandbox's zygote, a Python process that imports numpy (about as long
as this process takes to import click, numpy and the grading modules). :func:`start` runs
first thing in :mod:`gradcheck.cli`, before click is imported, and starts the sandbox when
the command is ``grade``; the command takes it with :func:`sandbox`.

>>> start(["gradcheck", "grade", "--help"])   # no sandbox for help
>>> _started is None
True
"""

from __future__ import annotations

import gc
from collections.abc import Sequence

_started = None   # the Sandbox started by start(), until the command takes it
# A grade allocates some 60 000 container objects (imports, test points, the report): at
# Python's default threshold (700) the cyclic collector runs ~90 times, 10-20 ms of a cold
# grade, and finds next to nothing. At this threshold a sheet grades without a collection;
# a larger one still collects now and then.
GC_THRESHOLD = 100_000


def start(argv: Sequence[str]) -> None:
    """Start the sandbox now when ``argv`` runs ``grade`` (and not its help)."""
    global _started
    args = list(argv[1:])
    if args[:1] != ["grade"] or "--help" in args or "-h" in args or _started is not None:
        return
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
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
