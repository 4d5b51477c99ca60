"""The process of ``gradcheck grade``: its sandbox, started before the command line is read
(and the cyclic garbage collector made to run rarely, before anything is imported), and its
quick end (:func:`finish`).

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
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

_started = None   # the Sandbox started by start(), until the command takes it
_own_process = False   # start() saw ``gradcheck grade``: this process is the command's own
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
    global _own_process
    _own_process = True
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


def finish(code: int) -> NoReturn:
    """End the command with exit code ``code``, its report written and its sandbox closed.

    In the command's own process (:func:`start` saw ``grade``) the output is flushed and the
    process ends at once: nothing is left to tear down, and the interpreter's teardown of
    numpy and the other modules took ~18 ms of CPU. Elsewhere (a test's ``CliRunner``), and
    when the output cannot be flushed (a closed pipe), it is ``sys.exit(code)``.

    >>> finish(1)
    Traceback (most recent call last):
    ...
    SystemExit: 1
    """
    if _own_process:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            sys.exit(code)   # Python reports it as it always does
        os._exit(code)
    sys.exit(code)
