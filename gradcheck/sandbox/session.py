"""One submission in its own worker: :class:`Session` (opened by ``Sandbox.open``).

A session asks its sandbox (any :class:`WorkerSource`) for a worker, loads the submission
there, and answers calls, node requests and pipelines of both; after a timeout or a crash it
starts a fresh worker, within the limits on restarts and on the session's time.

>>> import tempfile
>>> import numpy as np
>>> from gradcheck.sandbox import Sandbox
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "slow.py").write_text("import time\\ndef f(x):\\n    time.sleep(5)\\n")
>>> with Sandbox(limits=Limits(call_timeout=0.5)) as sandbox, sandbox.open(folder / "slow.py") as s:
...     print(s.call("f", [np.array(1.0)]).status, s.call("nope", [np.array(1.0)]).status)
timeout missing
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from gradcheck.sandbox.child.protocol import load_reply_problem
from gradcheck.sandbox.limits import (
    CRASHED,
    ERROR,
    INVALID,
    OK,
    STATUSES,
    TIMEOUT,
    CallOutcome,
    Limits,
    LoadReport,
    describe_exit,
)
from gradcheck.sandbox.pipeline import Request, is_plain
from gradcheck.sandbox.pipeline import run as run_pipeline
from gradcheck.sandbox.zygote import Reply, WorkerHandle

if TYPE_CHECKING:
    import numpy as np


class WorkerSource(Protocol):
    """What a session needs of its sandbox: the limits, fresh workers, and to be forgotten."""

    limits: Limits

    def _spawn(self, session: Session) -> WorkerHandle: ...

    def _forget(self, session: Session) -> None: ...


class Session:
    """One submission in its own worker. Use :meth:`call` and :meth:`node`; then close it.

    ``load`` is the :class:`LoadReport` of the first load. After a timeout or a crash the next
    request starts a fresh worker and loads the submission again, transparently, with a
    shorter load timeout (twice the first load's time, at least the request's timeout, at
    most ``Limits.load_timeout``). After ``Limits.restarts`` crashes, and once the session
    has spent ``Limits.session_timeout`` seconds waiting for its workers, every further
    request fails at once.
    """

    def __init__(self, sandbox: WorkerSource, path: Path, module: str, source: bytes,
                 forbid: tuple[str, ...]):
        self.path = path
        self.module = module
        self.source = source
        self.forbid = forbid
        self._sandbox = sandbox
        self._lock = threading.Lock()
        self._worker: WorkerHandle | None = None
        self._closed = False
        self._crashes = 0     # workers lost to a crash or a garbled reply
        self._spent = 0.0     # seconds spent starting, loading and waiting for workers
        self.load: LoadReport = self._start(sandbox.limits.load_timeout)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def protections(self) -> dict:
        """What confines the current worker: mode, landlock ABI, seccomp, rlimits, cgroups."""
        return dict(self._worker.protections) if self._worker else {}

    @property
    def scratch(self) -> Path | None:
        """The current worker's working folder (it holds a copy of the submission)."""
        return self._worker.work if self._worker else None

    @property
    def limits(self) -> Limits:
        """The sandbox's limits, which this session's workers run under."""
        return self._sandbox.limits

    @property
    def time_left(self) -> float:
        """Seconds of ``Limits.session_timeout`` this session has not spent yet."""
        return self._sandbox.limits.session_timeout - self._spent

    def _start(self, timeout: float) -> LoadReport:
        started = time.monotonic()
        try:
            return self._load(timeout)
        finally:
            self._spent += time.monotonic() - started

    def _load(self, timeout: float) -> LoadReport:
        worker = self._worker = self._sandbox._spawn(self)
        limits = self._sandbox.limits
        header = {"op": "load", "filename": self.path.name, "module": self.module,
                  "path": str(worker.work / self.path.name)}
        reply = worker.exchange(header, raw=self.source, timeout=timeout, max_payload=0)
        output = worker.read_output(limits.output)
        if reply.kind == "reply" and reply.header.get("status") == OK:
            problem = load_reply_problem(reply.header)
            if problem is None:
                warnings = tuple(reply.header.get("warnings") or ())
                return LoadReport(True, "", reply.header["defs"], warnings, output,
                                  reply.duration)
            reply = Reply("garbled", duration=reply.duration, problem=problem)
        status, error = self._failure(worker, reply, "loading the submission", timeout)
        self._worker = None
        worker.close()
        line = reply.header.get("line") if status == ERROR else None
        return LoadReport(False, error, {}, (), output, reply.duration, status,
                          line if type(line) is int else None,
                          str(reply.header.get("traceback") or ""))

    def _failure(self, worker: WorkerHandle, reply: Reply, what: str,
                 timeout: float) -> tuple[str, str]:
        """(status, message) for anything but a good reply; kills the worker if needed."""
        if reply.kind == "reply":
            message = reply.header.get("error") or reply.header.get("message") or ""
            return ERROR, str(message)
        if reply.kind == "timeout":
            worker.kill()
            return TIMEOUT, f"{what} did not finish within {timeout:g} s"
        self._crashes += 1
        if reply.kind == "died":
            status, message = describe_exit(worker.kill())
            return status, f"{message} while {what}"
        worker.kill()
        if reply.kind == "too large":
            return INVALID, f"the result of {what} was too large ({reply.problem})"
        return INVALID, f"the worker's reply to {what} was garbled ({reply.problem})"

    def call(self, name: str, args: Sequence[np.ndarray], *, arity: int | None = None,
             timeout: float | None = None) -> CallOutcome:
        """Call the student's function ``name(*args)``.

        With ``arity`` None the value is one float64 array; with ``arity`` k a tuple of k
        arrays (the function must return k items). 0-d inputs arrive as numpy scalars.

        >>> session.call("d_1a", [np.array(1.0)]).value              # doctest: +SKIP
        array(8.21448711)
        """
        return self.pipeline([Request.call(name, args, arity=arity, timeout=timeout)])[0]

    def node(self, cls: str, inputs: Sequence[np.ndarray], grad_output: np.ndarray, *,
             timeout: float | None = None) -> CallOutcome:
        """``obj = cls(); out = obj.forward(*inputs); grads = obj.backward(grad_output)``.

        The value is ``(out, grads)``: one float64 array and a tuple with one array per input.
        The timeout covers all three steps.
        """
        return self.pipeline([Request.node(cls, inputs, grad_output, timeout=timeout)])[0]

    def pipeline(self, requests: Sequence[Request], *, stop: Iterable[str] = ()
                 ) -> list[CallOutcome]:
        """Outcomes of several requests, sent ahead without waiting for each reply.

        The same outcomes as calling :meth:`call` / :meth:`node` one by one (per-request
        timeouts, a fresh worker after a timeout or crash), without a round trip per
        request. After an outcome whose status is in ``stop`` nothing more is asked and the
        list ends. Printed output arrives on the outcome after which it was read (the last
        one, or the one that failed). See :mod:`gradcheck.sandbox.pipeline`.

        >>> session.pipeline([Request.call("d_1a", [np.array(x)]) for x in (1.0, 2.0)],
        ...                  stop=("timeout",))                          # doctest: +SKIP
        [CallOutcome(status='ok', value=array(8.21...)), CallOutcome(status='ok', ...)]
        """
        return run_pipeline(self, requests, stop)

    def _ready(self, timeout: float) -> tuple[WorkerHandle | None, CallOutcome | None]:
        """The live worker, started afresh after a failure (loading within ``timeout``
        seconds at least); or (None, the outcome saying why there is none). The caller
        holds the session's lock."""
        worker = self._worker
        if worker is not None and worker.healthy():
            return worker, None
        if worker is not None:
            if not worker.dead:
                self._crashes += 1   # it hung up or wrote what nobody asked for
            worker.close()
            self._worker = None
        limits = self._sandbox.limits
        if self._crashes >= limits.restarts:
            return None, CallOutcome(CRASHED, None, f"the submission crashed the worker "
                                     f"{self._crashes} times; it is not restarted again")
        if self.time_left <= 0:
            return None, self.out_of_time()
        reload = min(limits.load_timeout, max(2 * self.load.duration, timeout), self.time_left)
        report = self._start(reload)
        if not report.ok:
            return None, CallOutcome(CRASHED, None, "the worker was restarted after a "
                                     "failure but the submission did not load again: "
                                     f"{report.error}", report.duration, report.output)
        return self._worker, None

    def out_of_time(self, what: str = "") -> CallOutcome:
        """The outcome of a request the session has no time left for."""
        limit = self._sandbox.limits.session_timeout
        return CallOutcome(TIMEOUT, None, (f"{what} was stopped: " if what else "not run: ")
                           + f"this submission has used up its {limit:g} s of time in all")

    def _outcome(self, worker: WorkerHandle, reply: Reply, request: Request, timeout: float,
                 output: str) -> CallOutcome:
        """The outcome of ``request`` from the worker's reply (a failure kills the worker)."""
        header = reply.header
        if reply.kind == "reply":
            status = header.get("status")
            line = header.get("line")
            message = str(header.get("message") or "")
            if status == OK:
                values = reply.arrays
                if request.fits(len(values)) and all(is_plain(v) for v in values):
                    return CallOutcome(OK, request.shape(values), "", reply.duration, output)
                reply = Reply("garbled", duration=reply.duration, problem=f"{len(values)} "
                              f"arrays where {request.expected} were expected")
            elif isinstance(status, str) and status in STATUSES:
                return CallOutcome(status, None, message, reply.duration, output,
                                   line if type(line) is int else None,
                                   str(header.get("traceback") or ""))
            else:
                reply = Reply("garbled", duration=reply.duration, problem=f"status {status!r}")
        status, message = self._failure(worker, reply, request.what, timeout)
        return CallOutcome(status, None, message, reply.duration, output)

    def close(self) -> None:
        """Kill the worker and everything it started; remove its scratch folder. Idempotent."""
        with self._lock:
            self._closed = True
            if self._worker is not None:
                self._worker.close()
                self._worker = None
        self._sandbox._forget(self)
