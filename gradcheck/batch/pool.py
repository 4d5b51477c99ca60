"""Grading processes for a batch: each owns a Sandbox and the prepared sheet, grades the
submissions it is given one after the other, and sends each result back as JSON.

The grader's own work (comparing answers) is Python and holds the GIL, so a batch runs one
*grading process* per job rather than threads; every submission still gets a fresh worker
process from that grading process's sandbox. Grading processes are forked from the
coordinator where that is safe, else started afresh (:mod:`gradcheck.batch.start`); they talk
over a socket pair with length-prefixed JSON messages, ignore Ctrl-C (the coordinator stops
them), die with the coordinator (parent-death signal; their sandboxes then clean up after
themselves), and all grade with the
same test points: the coordinator draws them and checks the fixed ones once for the whole
batch and hands them over (:mod:`gradcheck.batch.process` is the grading process's side).
Each grading process is given its next submission ahead of time
(:data:`QUEUED` tasks at most) and starts that submission's worker (fork, confinement,
loading) on a helper thread while it grades the current one. Their math libraries run on one
thread (:func:`gradcheck.batch.start.grading_environment`).

Messages, coordinator -> grading process: ``{"op": "setup", ...}`` first, then
``{"op": "grade", "task": n, "path", "relative"}`` and, once, when the coordinator hands them
over, ``{"op": "points", "checked": [...]}`` followed by the test points as bytes (the first
tasks come before the points, so that their workers open while the points are drawn), and
last ``{"op": "quit"}``;
back: ``{"op": "ready", "spec_sha256"}``, ``{"op": "done", "task": n, "lite": {...},
"feedback": str | None}`` followed by the full result as JSON bytes (saved in
the journal as they are, never decoded by the coordinator), ``{"op": "failed", "task": n,
"message"}``, ``{"op": "fatal", "message"}``. ``lite`` is the result without its test points
and printed output: all the gradebook and the summary need. ``feedback`` is the Markdown
feedback, rendered where the full result is at hand (when the batch writes feedback).

With one job per CPU the coordinator may run on (the default number of jobs), each grading
process keeps to a CPU of its own (``setup["cpu"]``, :func:`pinned_cpus`), and so do its
sandbox's zygote and workers, which inherit it: a submission's grader and its worker take
turns on one CPU instead of waking each other across two (a batch of a class ran ~6% faster
on two CPUs). With fewer jobs than CPUs nothing is pinned: the CPUs left over may be busy
with something else, which the scheduler knows and a fixed choice would not.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path

from gradcheck.batch.start import start_grading_process
from gradcheck.errors import GradcheckError, SandboxError
from gradcheck.sandbox.limits import Limits

QUEUED = 2              # tasks given to one grading process at a time (the next one opens early)
STOP_GRACE = 5.0         # seconds a grading process gets to close its sandbox when stopped
WATCHDOG_SLACK = 60.0    # seconds on top of the longest a submission can take by its limits

OnResult = Callable[[int, dict, bytes], None]


@dataclasses.dataclass(frozen=True)
class Task:
    """One submission to grade: the file and how it is named in the result."""

    path: Path
    relative: str


class _Grader:
    """The coordinator's handle on one grading process."""

    def __init__(self, spec: Path, seed: int, timeout: float | None, feedback: bool,
                 mode: str | None = None, handed: bool = False, sheet=None,
                 cpu: int | None = None):
        ours, theirs = socket.socketpair()
        self.log = tempfile.TemporaryFile()
        self.cpu = cpu   # the CPU the process keeps to, or None
        setup = {"op": "setup", "spec": str(spec), "seed": int(seed), "mode": mode,
                 "timeout": None if timeout is None else float(timeout),
                 "feedback": bool(feedback), "handed": handed, "cpu": cpu}
        try:
            self.process = start_grading_process(ours, theirs, self.log, sheet)
        finally:
            theirs.close()
        self.conn = Connection(ours.detach())
        try:
            self.send(setup)
        except OSError:
            pass   # the process is gone already: death() says why
        self.tasks: deque[int] = deque()   # sent to this process, not finished; head first
        self.since = 0.0                   # when the head task started
        self.ready = False                 # it has loaded the sheet and started its sandbox

    def send(self, message: dict) -> None:
        self.conn.send_bytes(json.dumps(message).encode())

    def hand_over(self, checked: list, points: bytes) -> None:
        """The test points and what checking them found (``PreparedSheet.hand``)."""
        try:
            self.send({"op": "points", "checked": checked})
            self.conn.send_bytes(points)
        except OSError:
            pass   # the process is gone already: death() says why

    def receive(self) -> tuple[dict, bytes]:
        """The next message, and the full result's JSON after a ``done``."""
        message = json.loads(self.conn.recv_bytes())
        return message, self.conn.recv_bytes() if message.get("op") == "done" else b""

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

    def quit(self) -> None:
        """Ask the process to close its sandbox and exit (without waiting for it)."""
        try:
            self.send({"op": "quit"})
        except OSError:
            pass

    def join(self, deadline: float) -> None:
        """Wait for the process until ``deadline`` (monotonic), then SIGKILL it; close."""
        try:
            self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
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
    """``jobs`` grading processes, each given up to :data:`QUEUED` submissions at a time.

    ``on_result(task_index, message, result_json)`` is called in the coordinator for every
    task as it finishes (after the finished process got its next task): ``message`` is the
    ``done`` or ``failed`` message (see the module's docstring), ``result_json`` the full
    result's JSON bytes (empty when it failed). ``feedback`` has every result's Markdown
    feedback rendered in the grading process.
    ``budget`` is the longest one submission may take (then its process is killed and the
    submission reported as not graded). ``mode`` is the sandbox mode every grading process
    must use (None: each picks the strongest it can start). ``hand`` returns the test
    points and what checking them found (``PreparedSheet.hand``), called once while the
    first grading processes start, and handed to every process (None: each draws and checks
    them itself). ``sheet``: the spec as the coordinator loaded it, for forked processes (a
    process started afresh loads ``spec``). Any exception,
    KeyboardInterrupt included, stops every process (its sandbox cleans up) before it
    propagates. When :meth:`run` returns,
    the processes are shutting down; :meth:`close` (or leaving ``with``) waits for them.
    ``pin``: keep each process to a CPU of its own (None: when :func:`pinned_cpus` says so).
    """

    def __init__(self, spec: Path, seed: int, timeout: float | None, jobs: int,
                 spec_sha256: str, budget: float, feedback: bool = False,
                 mode: str | None = None, hand: Callable[[], tuple[list, bytes]] | None = None,
                 sheet=None, pin: bool | None = None):
        self.spec, self.seed, self.timeout, self.feedback = spec, seed, timeout, feedback
        self.mode, self.sheet = mode, sheet
        self.hand, self.handed = hand, None
        self.jobs = max(1, int(jobs))
        self.cpus = pinned_cpus(self.jobs, pin)
        self.spec_sha256 = spec_sha256
        self.budget = budget + WATCHDOG_SLACK
        self.graders: list[_Grader] = []

    def run(self, tasks: Sequence[Task],
            on_result: OnResult) -> None:
        """Grade every task; returns when all are done (or raises, with everything stopped)."""
        pending = deque(range(len(tasks)))
        try:
            self.start(len(tasks))
            for grader in list(self.graders):   # their workers open while the points are drawn
                self._feed(grader, tasks, pending)
            if self.hand is not None and self.handed is None:
                self.handed = self.hand()   # while the grading processes start
                for grader in self.graders:
                    grader.hand_over(*self.handed)
            while any(g.tasks for g in self.graders):
                self._step(tasks, pending, on_result)
        except BaseException:
            self._abort()
            raise
        for grader in self.graders:
            grader.quit()

    def start(self, count: int) -> None:
        """Start the grading processes for ``count`` tasks now (at most ``jobs``; :meth:`run`
        does it when they are not started yet): before the caller starts a thread of its own,
        such as a progress bar's, so that they can be forked (:func:`forkable`)."""
        try:
            while len(self.graders) < min(self.jobs, count):
                self._start()
        except BaseException:
            self._abort()
            raise

    def __enter__(self) -> GraderPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Wait for the grading processes to exit (SIGKILL after STOP_GRACE). Idempotent."""
        deadline = time.monotonic() + STOP_GRACE
        for grader in self.graders:
            grader.quit()
        for grader in self.graders:
            grader.join(deadline)
        self.graders.clear()

    def _start(self) -> _Grader:
        taken = {g.cpu for g in self.graders}   # a replacement takes the CPU that came free
        cpu = next((c for c in self.cpus if c not in taken), None)
        grader = _Grader(self.spec, self.seed, self.timeout, self.feedback, self.mode,
                         handed=self.hand is not None, sheet=self.sheet, cpu=cpu)
        self.graders.append(grader)
        if self.handed is not None:
            grader.hand_over(*self.handed)
        return grader

    def _feed(self, grader: _Grader, tasks: Sequence[Task], pending: deque) -> None:
        """Top the process's queue up to QUEUED tasks, in the order of ``pending``."""
        if not grader.tasks:
            grader.since = time.monotonic()
        while pending and len(grader.tasks) < QUEUED:
            n = pending.popleft()
            grader.send({"op": "grade", "task": n, "path": str(tasks[n].path),
                         "relative": tasks[n].relative})
            grader.tasks.append(n)

    def _step(self, tasks: Sequence[Task], pending: deque,
              on_result: OnResult) -> None:
        busy = {g.conn: g for g in self.graders if g.tasks}
        for conn in wait(list(busy), timeout=1.0):
            grader = busy[conn]
            try:
                message, result = grader.receive()
            except (EOFError, OSError, ValueError):
                why = grader.death()
                if not grader.ready:   # it would fail the same way for every submission
                    raise SandboxError(f"a grading process could not start: {why}") from None
                self._replace(grader, why, tasks, pending, on_result)
                continue
            op = message.get("op")
            if op == "fatal":
                raise SandboxError(str(message.get("message")))
            if op == "ready":
                if message.get("spec_sha256") != self.spec_sha256:
                    raise GradcheckError(f"{self.spec} changed while the batch was starting")
                grader.ready = True
                continue
            if op in ("done", "failed") and grader.tasks and message.get("task") == grader.tasks[0]:
                finished = grader.tasks.popleft()
                grader.since = time.monotonic()
                self._feed(grader, tasks, pending)
                on_result(finished, message, result)
        now = time.monotonic()
        for grader in list(self.graders):
            if grader.tasks and now - grader.since > self.budget:
                grader.kill()
                self._replace(grader, f"grading took longer than {self.budget:g} s and was "
                              "stopped", tasks, pending, on_result)

    def _replace(self, grader: _Grader, why: str, tasks: Sequence[Task], pending: deque,
                 on_result: OnResult) -> None:
        """A grading process died (or was killed) during a task: report that task, give the
        ones queued behind it to a new process."""
        finished = grader.tasks.popleft() if grader.tasks else None
        pending.extendleft(reversed(grader.tasks))
        grader.tasks.clear()
        self.graders.remove(grader)
        grader.close()
        if pending:
            self._feed(self._start(), tasks, pending)
        if finished is not None:
            on_result(finished, {"op": "failed", "task": finished, "message": why}, b"")

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


def default_jobs() -> int:
    """The number of CPUs this process may run on: the default number of grading processes.

    >>> default_jobs() >= 1
    True
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def pinned_cpus(jobs: int, pin: bool | None = None) -> list[int]:
    """The CPUs the grading processes keep to, one each; empty when they are not pinned.

    ``pin=None`` pins when there is one job for each of the (several) CPUs this process may
    run on; ``pin=True`` whenever there are no more jobs than those CPUs; ``pin=False``
    never. Where CPU affinity does not exist (macOS), nothing is pinned.

    >>> pinned_cpus(1, pin=False)
    []
    """
    if pin is False or not hasattr(os, "sched_setaffinity"):
        return []
    cpus = sorted(os.sched_getaffinity(0))
    if jobs > len(cpus) or (pin is None and (jobs != len(cpus) or jobs < 2)):
        return []
    return cpus[:jobs]


def watchdog_budget() -> float:
    """The longest a grading process may work on one submission before the watchdog stops
    it: the sandbox's time for a whole submission (``Limits.session_timeout``, which the
    session itself enforces) plus the grader's own work."""
    limits = Limits()
    return limits.session_timeout + limits.load_timeout + WATCHDOG_SLACK
