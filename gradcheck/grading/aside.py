"""Checking a prepared sheet's fixed points in a forked process, on another core.

The agreement check at the fixed points (finite differences against the reference backprop,
``PreparedSheet.check_fixed``) is pure Python and numpy: on a thread it holds the GIL that
the grading of the submission needs, and a cold ``gradcheck grade`` spends ~40 ms on it. A
forked copy of the grader checks the points instead, on a core the sandbox's worker leaves
mostly idle, and sends back what it found as JSON rows (``PreparedSheet.findings``). The
grader takes them up before it reports a result (``check_fixed(found=...)``) and checks
itself whatever did not come back (no fork here, a child that died or did not finish in
:data:`ASIDE_TIMEOUT`, rows that do not fit):
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
import select
import signal
import sys
import time
import warnings
from collections.abc import Callable

from gradcheck.grading.prepared import PreparedSheet

MAX_REPLY = 1 << 22   # bytes of findings read back at most (sheet01's are ~2 KB)
ASIDE_TIMEOUT = 30.0  # seconds the grader waits for the findings (sheet01's take ~40 ms)


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
    """What the child at ``pid`` wrote on ``read`` (``[]`` when it sent too much, nothing
    readable, or did not finish within :data:`ASIDE_TIMEOUT` seconds: a child that cannot
    finish, say on a lock a thread of the grader held at the fork, is killed and the grader
    checks the points itself)."""
    chunks, size, deadline = [], 0, time.monotonic() + ASIDE_TIMEOUT
    finished = False
    try:
        while size <= MAX_REPLY:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read], [], [], left)[0]:
                break
            chunk = os.read(read, 1 << 16)
            if not chunk:
                finished = True
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(read)
        if not finished:   # too much, or too late: nothing it says is used
            os.kill(pid, signal.SIGKILL)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    try:
        rows = json.loads(b"".join(chunks)) if finished else []
    except ValueError:
        return []
    return rows if isinstance(rows, list) else []
