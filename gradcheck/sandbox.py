"""Run untrusted submissions in isolated worker processes; the grader's only way in.

A :class:`Sandbox` starts one zygote (``worker.py``) that imports numpy once, in the
background, and forks a worker per submission. Each worker has its own session, scratch folder,
resource limits, pids and memory cgroups where the machine has them, and, depending on the
mode, a bubblewrap view of the file system (``bwrap``) or Landlock rules (``landlock``, also
layered inside bwrap) that leave out the forbidden packages. See ``docs/sandbox.md`` for what
holds where.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "sheet01.py").write_text("def double(x):\\n    return 2 * x\\n")
>>> with Sandbox(limits=Limits(call_timeout=2), forbid=("torch",)) as sandbox:
...     session = sandbox.open(folder / "sheet01.py")
...     print(session.load.ok, list(session.load.defs))
...     outcome = session.call("double", [np.array([1.0, 2.0])])
...     print(outcome.status, outcome.value)
True ['double']
ok [2. 4.]

A timeout or crash costs only that call: the session starts a fresh worker for the next one
(up to ``Limits.restarts`` times after crashes, within ``Limits.session_timeout`` seconds of
work in all).
"""

from __future__ import annotations

import atexit
import itertools
import os
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from gradcheck.confine import (
    Cgroups,
    candidate_modes,
    forbidden_paths,
    mode_warning,
    read_roots,
    user_thread_count,
)
from gradcheck.errors import SandboxError, SubmissionError
from gradcheck.limits import (
    CRASHED,
    ERROR,
    INVALID,
    OK,
    STATUSES,
    SUBMISSION_SUFFIXES,
    TIMEOUT,
    CallOutcome,
    Limits,
    LoadReport,
    describe_exit,
)
from gradcheck.pipeline import Request, is_plain
from gradcheck.pipeline import run as run_pipeline
from gradcheck.protocol import load_reply_problem
from gradcheck.worker_guard import landlock_abi
from gradcheck.zygote import (
    SCRATCH_PREFIX,
    Reply,
    WorkerHandle,
    ZygoteProcess,
    remove_stale_scratch,
    remove_tree,
)

__all__ = ["Sandbox", "Session", "Limits", "LoadReport", "CallOutcome", "Request", "STATUSES"]

_OPEN: weakref.WeakSet[Sandbox] = weakref.WeakSet()


class Sandbox:
    """The zygote and every session opened through it; close it (or use ``with``).

    ``mode`` is "bwrap", "landlock" or "none"; None means ``$GRADCHECK_SANDBOX`` or, without
    it, the strongest mode that starts here. ``forbid`` lists packages student code may not
    import (under bubblewrap these are also left out of the zygote's view, which matters
    where the kernel has no Landlock; with Landlock every worker's own list is left out).
    ``Sandbox()`` returns at once; the zygote starts in the background and the first
    :meth:`open` waits for it.
    """

    def __init__(self, limits: Limits | None = None, forbid: Iterable[str] = (),
                 mode: str | None = None):
        self.limits = limits or Limits()
        self.forbid = tuple(str(name) for name in forbid)
        self._modes = candidate_modes(mode)
        self._base = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")).resolve()
        self._cgroups = Cgroups.create()
        self._hidden: dict[tuple[str, ...], list[tuple[str, str]]] = {}   # forbid -> paths
        self._nproc: int | None = None   # RLIMIT_NPROC for workers (non-root), counted once
        self._lock = threading.Lock()
        self._sessions: set[Session] = set()   # open sessions (close() forgets them)
        self._counter = itertools.count(1)
        self._closed = False
        self._mode: str | None = None
        # bwrap --die-with-parent ties the sandbox to the thread that started it: this one
        # thread starts (and restarts) every zygote and lives as long as the sandbox.
        self._keeper = ThreadPoolExecutor(1, thread_name_prefix="gradcheck-sandbox")
        self._retired: list[ZygoteProcess] = []   # replaced zygotes, still serving workers
        self._zygote: Future[ZygoteProcess] = self._keeper.submit(self._start, self._modes)
        _OPEN.add(self)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self, modes: Sequence[str],
               hidden: Sequence[tuple[str, str]] | None = None) -> ZygoteProcess:
        if self._mode is None:
            remove_stale_scratch(self._base.parent)
        if hidden is None:
            hidden = self.hidden_paths(self.forbid)
        problems = []
        for mode in modes:
            zygote = ZygoteProcess(mode, self._base, hidden if mode == "bwrap" else ())
            try:
                zygote.start(self.limits.start_timeout)
            except SandboxError as exc:
                problems.append(str(exc))
                continue
            self._mode = mode
            return zygote
        raise SandboxError("the sandbox could not start: " + " | ".join(problems))

    @property
    def scratch(self) -> Path:
        """The private folder that holds every worker's scratch folder (removed by close)."""
        return self._base

    @property
    def mode(self) -> str:
        """The mode in use ("bwrap", "landlock" or "none"); waits for the zygote to start."""
        self._live_zygote()
        return self._mode or "none"

    @property
    def warning(self) -> str | None:
        """What the mode in use does not protect (for the user), or None when it is strong:
        mode "none", or Landlock alone with an ABI below 6. Waits for the zygote to start."""
        return mode_warning(self.mode, landlock_abi())

    def hidden_paths(self, forbid: Sequence[str]) -> list[tuple[str, str]]:
        """``(path, package)`` of every forbidden package on this machine (cached)."""
        key = tuple(sorted(forbid))
        if key not in self._hidden:
            self._hidden[key] = forbidden_paths(key)
        return self._hidden[key]

    def _live_zygote(self, hidden: Sequence[tuple[str, str]] = ()) -> ZygoteProcess:
        """The running zygote (started afresh if it died). Under bubblewrap without Landlock
        only the zygote's view can leave ``hidden`` out: a zygote whose view shows any of
        them is replaced (it keeps serving the workers it has)."""
        with self._lock:
            if self._closed:
                raise SandboxError("the sandbox is closed")
            zygote = self._zygote.result()
            if not zygote.alive:   # killed from outside or by a student: start a fresh one
                zygote.stop()
                self._zygote = self._keeper.submit(self._start, [self._mode], zygote.hidden)
                zygote = self._zygote.result()
            elif zygote.mode == "bwrap" and landlock_abi() <= 0 \
                    and not set(hidden) <= set(zygote.hidden):
                self._retired.append(zygote)
                view = sorted(set(hidden) | set(zygote.hidden))
                self._zygote = self._keeper.submit(self._start, [self._mode], view)
                zygote = self._zygote.result()
            return zygote

    def open(self, path: Path, *, module: str | None = None,
             forbid: Iterable[str] | None = None) -> Session:
        """Start a worker for the submission at ``path`` (.py or .ipynb) and load it.

        The module is named ``module`` (default: the file's stem); ``forbid`` replaces the
        sandbox's list of forbidden imports for this submission. ``session.load`` says
        whether loading worked. Raises SubmissionError when the file does not exist or is
        neither .py nor .ipynb, SandboxError when no worker can be started.
        """
        path = Path(path)
        if not path.is_file():
            raise SubmissionError(f"{path}: no such file")
        if path.suffix not in SUBMISSION_SUFFIXES:
            raise SubmissionError(f"{path}: a submission must be a .py or .ipynb file")
        forbid = self.forbid if forbid is None else tuple(str(name) for name in forbid)
        session = Session(self, path, module or path.stem, path.read_bytes(), forbid)
        with self._lock:
            self._sessions.add(session)
        return session

    def _spawn(self, session: Session) -> WorkerHandle:
        limits = self.limits
        hidden = self.hidden_paths(session.forbid)
        request = {
            "op": "spawn", "forbid": list(session.forbid), "read_roots": read_roots(),
            "hidden": [list(item) for item in hidden],
            "limits": {"memory": limits.memory, "file_size": limits.file_size,
                       "open_files": limits.open_files, "result_size": limits.result_size},
            "nproc": self._process_limit(),
        }
        for attempt in range(2):
            zygote = self._live_zygote(hidden)
            scratch = self._base / f"w{next(self._counter)}"
            work = scratch / "work"
            work.mkdir(parents=True)
            (work / session.path.name).write_bytes(session.source)
            request.update(work=str(work), landlock=zygote.mode != "none" and landlock_abi() > 0)
            worker = WorkerHandle(zygote, scratch, work)
            try:
                worker.spawn(request, self._cgroups, limits.processes, limits.memory)
            except SandboxError:
                worker.close()
                if attempt or zygote.alive:
                    raise
                continue   # the zygote died under us: retry once with a fresh one
            worker.protections["mode"] = zygote.mode
            return worker
        raise AssertionError("unreachable")

    def _process_limit(self) -> int | None:
        """RLIMIT_NPROC for a worker when the grader is not root: the user's thread count when
        the sandbox started its first worker, plus ``Limits.processes``. The kernel counts
        every process of the user, so all workers (and jobs) of one user share this room."""
        if not hasattr(os, "geteuid") or os.geteuid() == 0 or not os.path.isdir("/proc"):
            return None
        if self._nproc is None:
            self._nproc = user_thread_count(os.getuid()) + self.limits.processes
        return self._nproc

    def close(self) -> None:
        """Kill every worker and the zygote; remove all scratch folders. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            sessions = list(self._sessions)
        for session in sessions:
            session.close()
        try:
            try:
                self._keeper.submit(self._stop).result()
            except RuntimeError:   # at interpreter exit the keeper no longer takes work
                self._stop()
        finally:
            self._keeper.shutdown(wait=True)
            if self._cgroups is not None:
                self._cgroups.close()
            remove_tree(self._base)
            _OPEN.discard(self)

    def _stop(self) -> None:
        for zygote in self._retired:
            zygote.stop()
        try:
            zygote = self._zygote.result()
        except SandboxError:
            return
        zygote.stop()


class Session:
    """One submission in its own worker. Use :meth:`call` and :meth:`node`; then close it.

    ``load`` is the :class:`LoadReport` of the first load. After a timeout or a crash the next
    request starts a fresh worker and loads the submission again, transparently, with a
    shorter load timeout (twice the first load's time, at least the request's timeout, at
    most ``Limits.load_timeout``). After ``Limits.restarts`` crashes, and once the session
    has spent ``Limits.session_timeout`` seconds waiting for its workers, every further
    request fails at once.
    """

    def __init__(self, sandbox: Sandbox, path: Path, module: str, source: bytes,
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
        one, or the one that failed). See :mod:`gradcheck.pipeline`.

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
                if len(values) == request.expected and all(is_plain(v) for v in values):
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
        with self._sandbox._lock:
            self._sandbox._sessions.discard(self)


@atexit.register
def _close_all() -> None:
    for sandbox in list(_OPEN):
        try:
            sandbox.close()
        except Exception:  # noqa: BLE001 - at exit, close what can be closed
            pass
