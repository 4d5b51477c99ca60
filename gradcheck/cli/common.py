"""What the commands share: exit codes, turning library errors into clean exits, loading a
spec, writing a report file."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130   # Ctrl-C, as shells report SIGINT
ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# A thread that opens a submission while the main thread draws test points wakes often (socket
# replies, the zygote); each time it waits this long at most for the GIL (default 0.005 s).
# At 0.0005 s a cold grade's submission opened ~50 ms later than at this (the fixed points are
# checked meanwhile, on a third thread).
SWITCH_INTERVAL = 0.0001


class UsageExit(click.ClickException):
    """A usage problem reported without a traceback, exit code 2."""

    exit_code = EXIT_USAGE


class Seconds(click.ParamType):
    """A ``--timeout``: seconds above 0 and at most an hour (never inf or nan)."""

    name = "seconds"

    def convert(self, value, param, ctx):
        from gradcheck.errors import UsageError
        from gradcheck.sandbox.limits import check_timeout

        try:
            return check_timeout(value, "the timeout")
        except UsageError as exc:
            self.fail(str(exc), param, ctx)


def grading_process_setup() -> None:
    """Before numpy is imported by a command that grades: numpy's math libraries on one
    thread unless the user chose otherwise (the grader works on small arrays; the threads a
    library starts at import only take CPU from the sandbox's worker), and a short GIL switch
    interval for the thread that opens the submission meanwhile."""
    for name in ONE_THREAD:
        os.environ.setdefault(name, "1")
    sys.setswitchinterval(SWITCH_INTERVAL)


def fail(exc: Exception) -> click.ClickException:
    """Our library errors, shown as one clean message with exit code 2."""
    return UsageExit(str(exc))


def load_spec(sheet: str):
    """The sheet named or pointed at by ``sheet``; a spec error exits with code 2."""
    from gradcheck.errors import SpecError
    from gradcheck.spec import load_sheet

    try:
        return load_sheet(sheet)
    except SpecError as exc:
        raise fail(exc) from None


def write_text(path: str, text: str) -> None:
    """Write a report, ending in exactly one newline, creating its folder; a path that
    cannot be written exits with code 2 and the reason."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageExit(f"cannot write {path}: {exc.strerror or exc}") from None
