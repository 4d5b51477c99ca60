"""How a batch's grading process starts: forked from the coordinator where that is safe
(:func:`forkable`), else afresh with ``python -c`` (not ``multiprocessing``). A forked one
has numpy, the grader and the loaded sheet already, which a fresh one takes ~150 ms of CPU
to import and read again; either way it runs :func:`gradcheck.batch.process.serve`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Mapping
from multiprocessing.connection import Connection
from pathlib import Path
from typing import BinaryIO, NoReturn

FORKED_POLL = 0.005      # seconds between looks at a forked grading process that is exiting

ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

# os._exit: once the sandbox is closed there is nothing left to tear down (numpy's teardown
# alone takes longer than closing the sandbox).
_BOOT = ("import os, sys; sys.path.insert(0, sys.argv[1]); "
         "from gradcheck.batch.process import main; os._exit(main(sys.argv[2:]))")


def start_grading_process(ours: socket.socket, theirs: socket.socket, log: BinaryIO,
                          sheet=None) -> subprocess.Popen | Forked:
    """A grading process serving the coordinator's end ``ours`` of a socket pair on
    ``theirs`` (the caller closes its copy), its standard error in ``log``: forked with
    ``sheet`` (the coordinator's loaded spec) when :func:`forkable`, else started afresh."""
    if not forkable():
        root = str(Path(__file__).resolve().parents[2])   # the folder that holds gradcheck
        # only the channel and the parent on the command line, which every process can
        # read: the seed (secret when drawn) and the rest travel over the private socket
        command = [sys.executable, "-c", _BOOT, root, "--fd", str(theirs.fileno()),
                   "--parent", str(os.getpid())]
        return subprocess.Popen(command, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=log,
                                env=grading_environment())
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        ours.close()
        _serve_forked(theirs, log.fileno(), parent, sheet)
    return Forked(pid)


def forkable() -> bool:
    """Whether a grading process can be forked from this process: on Linux, while this
    process runs no other thread (a lock another thread holds at the fork, such as a
    progress bar's, would stay held in the child for good; numpy started here with
    ``OPENBLAS_NUM_THREADS=1``, as ``gradcheck batch`` does, starts none).

    >>> isinstance(forkable(), bool)
    True
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


class Forked:
    """A grading process forked from the coordinator: the part of ``subprocess.Popen`` the
    pool uses (``wait``, ``kill``, ``terminate``)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG if deadline is not None else 0)
            if pid == self.pid:
                self.returncode = os.waitstatus_to_exitcode(status)
            elif time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"grading process {self.pid}", timeout)
            else:
                time.sleep(FORKED_POLL)
        return self.returncode

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def _signal(self, number: int) -> None:
        if self.returncode is None:   # not reaped: the pid is still this process's
            os.kill(self.pid, number)


def _serve_forked(conn: socket.socket, log: int, parent: int, sheet) -> NoReturn:
    """In a forked grading process: standard streams away from the coordinator's (stderr to
    ``log``, whose tail says why a process died), serve, and leave with ``os._exit`` so that
    nothing of the coordinator's (buffers, atexit handlers, its frames) runs here."""
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.dup2(log, 2)
        sys.stdin = sys.stdout = open(os.devnull, "w")   # noqa: SIM115 - os._exit closes
        sys.stderr = open(2, "w", buffering=1, closefd=False, errors="backslashreplace")  # noqa: SIM115
        from gradcheck.batch.process import serve

        code = serve(Connection(conn.detach()), parent, sheet)
    except BaseException:  # noqa: BLE001 - whatever happens here, never return into the coordinator
        traceback.print_exc()
    finally:
        os._exit(code)


def grading_environment(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """A grading process's environment: this one, with numpy's math libraries on one thread
    unless the user chose otherwise. The grader works on small arrays, and the idle threads
    a math library starts with numpy would only take CPU from the other jobs.

    >>> grading_environment({"PATH": "/bin"})["OPENBLAS_NUM_THREADS"]
    '1'
    >>> grading_environment({"OMP_NUM_THREADS": "4"})["OMP_NUM_THREADS"]
    '4'
    """
    return {**dict.fromkeys(ONE_THREAD, "1"), **environ}
