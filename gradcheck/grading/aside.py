"""Checking a prepared sheet's fixed points in a forked process, on another core.

The agreement check at the fixed points (finite differences against the reference backprop,
``PreparedSheet.check_fixed``) is pure Python and numpy: on a thread it holds the GIL that
the grading of the submission needs, and a cold ``gradcheck grade`` spends ~40 ms on it. A
forked copy of the grader checks the points instead, on a core the sandbox's worker leaves
mostly idle, and sends back what it found as JSON rows (``PreparedSheet.findings``). The
grader takes them up before it reports a result (``check_fixed(found=...)``) and checks
itself whatever did not come back (no fork here, a child that died, rows that do not fit):
the verdict is the same either way.

The child runs only this module's code on the copy of the sheet (no student code, no
sandbox, nothing the grader's other threads hold), then ends with ``os._exit``.

>>> from gradcheck.spec import load_sheet
>>> from gradcheck.grading.prepared import prepare
>>> prepared = prepare(load_sheet("sheet01"), 1, check_fixed=False)
>>> prepared.check_fixed(found=check_aside(prepared))
>>> prepared.found() > 0
True
"""

from __future__ import annotations

import json
import os
import signal
import sys
import warnings
from collections.abc import Callable

from gradcheck.grading.prepared import PreparedSheet

MAX_REPLY = 1 << 22   # bytes of findings read back at most (sheet01's are ~2 KB)


def check_aside(prepared: PreparedSheet) -> Callable[[], list]:
    """Fork a process that checks ``prepared``'s fixed points; return the function that
    waits for its findings (``[]`` when there are none to take up). Call it once."""
    if not hasattr(os, "fork") or not sys.platform.startswith("linux"):
        return list
    read, write = os.pipe()
    try:
        with warnings.catch_warnings():   # 3.12+: the child touches no other thread's lock
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return list
    if pid == 0:   # the child: check, write the findings, and end without any teardown
        try:
            os.close(read)
            prepared._fixed_problem()
            data = json.dumps(prepared.findings()).encode()
            with os.fdopen(write, "wb") as out:
                out.write(data)
        finally:
            os._exit(0)
    os.close(write)
    return lambda: _findings(pid, read)


def _findings(pid: int, read: int) -> list:
    chunks, size = [], 0
    try:
        with os.fdopen(read, "rb") as reply:
            while size <= MAX_REPLY:
                chunk = reply.read(1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
    finally:
        if size > MAX_REPLY:   # it would block on the full pipe: nothing it says is used
            os.kill(pid, signal.SIGKILL)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    try:
        rows = json.loads(b"".join(chunks)) if size <= MAX_REPLY else []
    except ValueError:
        return []
    return rows if isinstance(rows, list) else []
