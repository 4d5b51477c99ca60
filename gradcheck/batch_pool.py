"""Grading processes for a batch: each owns a Sandbox and the prepared sheet, grades one
submission at a time, and sends the result back as JSON.

The grader's own work (comparing answers) is Python and holds the GIL, so a batch runs one
*grading process* per job rather than threads; every submission still gets a fresh worker
process from that grading process's sandbox. Grading processes are started with
``python -c`` (not ``multiprocessing``), talk over a socket pair with length-prefixed JSON
messages, ignore Ctrl-C (the coordinator stops them), die with the coordinator
(parent-death signal; their sandboxes then clean up after themselves), and each draws the
same test points from the same spec file and seed.

Messages, coordinator -> grading process: ``{"op": "grade", "task": n, "path", "relative"}``,
``{"op": "quit"}``; back: ``{"op": "ready", "spec_sha256"}``, ``{"op": "done", "task": n,
"result": {...}}``, ``{"op": "failed", "task": n, "message"}``, ``{"op": "fatal", "message"}``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path

from gradcheck.errors import GradcheckError, SandboxError

STOP_GRACE = 5.0         # seconds a grading process gets to close its sandbox when stopped
WATCHDOG_SLACK = 60.0    # seconds on top of the longest a submission can take by its limits

_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); "
         "from gradcheck.batch_pool import main; sys.exit(main(sys.argv[2:]))")


@dataclasses.dataclass(frozen=True)
class Task:
    """One submission to grade: the file and how it is named in the result."""

    path: Path
    relative: str


class _Grader:
    """The coordinator's handle on one grading process."""

    def __init__(self, spec: Path, seed: int, timeout: float | None):
        ours, theirs = socket.socketpair()
        self.log = tempfile.TemporaryFile()
        root = str(Path(__file__).resolve().parent.parent)
        command = [sys.executable, "-c", _BOOT, root, "--fd", str(theirs.fileno()),
                   "--parent", str(os.getpid()), "--spec", str(spec), "--seed", str(seed)]
        if timeout is not None:
            command += ["--timeout", repr(float(timeout))]
        try:
            self.process = subprocess.Popen(command, pass_fds=[theirs.fileno()],
                                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=self.log)
        finally:
            theirs.close()
        self.conn = Connection(ours.detach())
        self.task: int | None = None
        self.since = 0.0

    def send(self, message: dict) -> None:
        self.conn.send_bytes(json.dumps(message).encode())

    def receive(self) -> dict:
        return json.loads(self.conn.recv_bytes())

    def death(self) -> str:
        """Why the process ended, with the end of what it wrote to stderr."""
        try:
            code = self.process.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.process.wait()
        self.log.seek(0)
        tail = self.log.read().decode(errors="replace").strip().splitlines()[-1:]
        how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        return f"the grading process ended ({how})" + (f": {tail[0]}" if tail else "")

    def stop(self) -> None:
        """Ask the process to finish; SIGKILL if it does not within STOP_GRACE."""
        try:
            self.send({"op": "quit"})
        except OSError:
            pass
        try:
            self.process.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            self.kill()
        self.close()

    def terminate(self) -> None:
        """SIGTERM: the process closes its sandbox (kills its worker) and exits."""
        try:
            self.process.terminate()
        except OSError:
            pass

    def kill(self) -> None:
        try:
            self.process.kill()
        except OSError:
            pass

    def close(self) -> None:
        self.process.wait()
        self.conn.close()
        self.log.close()


class GraderPool:
    """``jobs`` grading processes fed one submission at a time.

    ``on_result(task_index, result_dict_or_None, failure_message)`` is called in the
    coordinator for every task as it finishes, after the finished process got its next task.
    ``budget`` is the longest one submission may take (then its process is killed and the
    submission reported as not graded). Any exception, KeyboardInterrupt included, stops
    every process (its sandbox cleans up) before it propagates.
    """

    def __init__(self, spec: Path, seed: int, timeout: float | None, jobs: int,
                 spec_sha256: str, budget: float):
        self.spec, self.seed, self.timeout = spec, seed, timeout
        self.jobs = max(1, int(jobs))
        self.spec_sha256 = spec_sha256
        self.budget = budget + WATCHDOG_SLACK
        self.graders: list[_Grader] = []

    def run(self, tasks: Sequence[Task],
            on_result: Callable[[int, dict | None, str | None], None]) -> None:
        """Grade every task; returns when all are done (or raises, with everything stopped)."""
        pending = deque(range(len(tasks)))
        try:
            for _ in range(min(self.jobs, len(tasks))):
                self._feed(self._start(), tasks, pending)
            while any(g.task is not None for g in self.graders):
                self._step(tasks, pending, on_result)
        except BaseException:
            self._abort()
            raise
        for grader in self.graders:
            grader.stop()
        self.graders.clear()

    def _start(self) -> _Grader:
        grader = _Grader(self.spec, self.seed, self.timeout)
        self.graders.append(grader)
        return grader

    def _feed(self, grader: _Grader, tasks: Sequence[Task], pending: deque) -> None:
        grader.task = None
        if pending:
            n = pending.popleft()
            grader.send({"op": "grade", "task": n, "path": str(tasks[n].path),
                         "relative": tasks[n].relative})
            grader.task, grader.since = n, time.monotonic()

    def _step(self, tasks: Sequence[Task], pending: deque,
              on_result: Callable[[int, dict | None, str | None], None]) -> None:
        busy = {g.conn: g for g in self.graders if g.task is not None}
        for conn in wait(list(busy), timeout=1.0):
            grader = busy[conn]
            try:
                message = grader.receive()
            except (EOFError, OSError, ValueError):
                self._replace(grader, grader.death(), tasks, pending, on_result)
                continue
            op = message.get("op")
            if op == "fatal":
                raise SandboxError(str(message.get("message")))
            if op == "ready":
                if message.get("spec_sha256") != self.spec_sha256:
                    raise GradcheckError(f"{self.spec} changed while the batch was starting")
                continue
            if op in ("done", "failed") and message.get("task") == grader.task:
                finished = grader.task
                self._feed(grader, tasks, pending)
                on_result(finished, message.get("result"), message.get("message"))
        now = time.monotonic()
        for grader in list(self.graders):
            if grader.task is not None and now - grader.since > self.budget:
                grader.kill()
                self._replace(grader, f"grading took longer than {self.budget:g} s and was "
                              "stopped", tasks, pending, on_result)

    def _replace(self, grader: _Grader, why: str, tasks: Sequence[Task], pending: deque,
                 on_result: Callable[[int, dict | None, str | None], None]) -> None:
        """A grading process died (or was killed) during a task: report it, start another."""
        finished = grader.task
        grader.task = None
        self.graders.remove(grader)
        grader.close()
        if pending:
            self._feed(self._start(), tasks, pending)
        if finished is not None:
            on_result(finished, None, why)

    def _abort(self) -> None:
        for grader in self.graders:
            grader.terminate()
        deadline = time.monotonic() + STOP_GRACE
        for grader in self.graders:
            try:
                grader.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                grader.kill()
            grader.close()
        self.graders.clear()


# -- the grading process -------------------------------------------------------------------


def _stop(_signum, _frame) -> None:
    raise SystemExit(0)


def main(argv: Sequence[str]) -> int:
    """A grading process: ``--fd FD --parent PID --spec FILE --seed N [--timeout S]``."""
    options = dict(zip(argv[::2], argv[1::2], strict=False))
    from gradcheck.worker_guard import set_parent_death_signal

    set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != int(options["--parent"]):
        return 1   # the coordinator is already gone
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)
    conn = Connection(int(options["--fd"]))
    timeout = float(options["--timeout"]) if "--timeout" in options else None

    def send(message: dict) -> None:
        conn.send_bytes(json.dumps(message).encode())

    from gradcheck.sandbox import Sandbox

    try:
        with Sandbox() as sandbox:   # the zygote starts while the grader imports and prepares
            from gradcheck import grader
            from gradcheck.spec import load_sheet

            try:
                sheet = load_sheet(options["--spec"])
                prepared = grader.prepare(sheet, int(options["--seed"]))
                sandbox.mode   # noqa: B018 - waits for the zygote: SandboxError if it fails
            except GradcheckError as exc:
                send({"op": "fatal", "message": str(exc)})
                return 2
            send({"op": "ready", "spec_sha256": sheet.sha256})
            while True:
                message = json.loads(conn.recv_bytes())
                if message.get("op") != "grade":
                    return 0
                send(_grade(grader, prepared, sandbox, message, timeout))
    except (EOFError, OSError, SystemExit):
        return 0   # the coordinator stopped us or went away; the sandbox has cleaned up


def _grade(grader, prepared, sandbox, message: dict, timeout: float | None) -> dict:
    task = message["task"]
    try:
        result = grader.grade(prepared, Path(message["path"]), timeout=timeout,
                              sandbox=sandbox)
    except GradcheckError as exc:
        return {"op": "failed", "task": task, "message": str(exc)}
    except Exception as exc:  # noqa: BLE001 - a grader bug costs this submission, not the batch
        return {"op": "failed", "task": task,
                "message": f"internal error: {type(exc).__name__}: {exc}"}
    result = dataclasses.replace(result, submission=message["relative"])
    return {"op": "done", "task": task, "result": result.to_dict()}
