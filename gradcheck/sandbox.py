"""Run untrusted submissions in isolated worker processes; the grader's only way in.

A :class:`Sandbox` starts one zygote (``worker.py``) that imports numpy once, in the
background, and forks a worker per submission. Each worker has its own session, scratch folder,
resource limits, a pids cgroup where the machine has one, and, depending on the mode, a
bubblewrap view of the file system (``bwrap``) or Landlock rules (``landlock``, also layered
inside bwrap). See ``docs/sandbox.md`` for what holds where.

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

A timeout or crash costs only that call: the session starts a fresh worker for the next one.
"""

from __future__ import annotations

import atexit
import itertools
import os
import tempfile
import threading
import weakref
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from gradcheck.confine import PidsCgroups, candidate_modes, read_roots, user_thread_count
from gradcheck.errors import SandboxError, SubmissionError
from gradcheck.limits import (
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
from gradcheck.pipeline import Request, is_plain
from gradcheck.pipeline import run as run_pipeline
from gradcheck.worker_guard import landlock_abi
from gradcheck.zygote import Reply, WorkerHandle, ZygoteProcess, remove_tree

__all__ = ["Sandbox", "Session", "Limits", "LoadReport", "CallOutcome", "Request", "STATUSES"]

SUFFIXES = (".py", ".ipynb")
SCRATCH_PREFIX = "gradcheck-sandbox-"   # + the pid of the process that made the folder
_OPEN: weakref.WeakSet[Sandbox] = weakref.WeakSet()


class Sandbox:
    """The zygote and every session opened through it; close it (or use ``with``).

    ``mode`` is "bwrap", "landlock" or "none"; None means ``$GRADCHECK_SANDBOX`` or, without
    it, the strongest mode that starts here. ``forbid`` lists packages student code may not
    import. ``Sandbox()`` returns at once; the zygote starts in the background and the first
    :meth:`open` waits for it.
    """

    def __init__(self, limits: Limits | None = None, forbid: Iterable[str] = (),
                 mode: str | None = None):
        self.limits = limits or Limits()
        self.forbid = tuple(str(name) for name in forbid)
        self._modes = candidate_modes(mode)
        self._base = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")).resolve()
        self._cgroups = PidsCgroups.create()
        self._lock = threading.Lock()
        self._sessions: set[Session] = set()   # open sessions (close() forgets them)
        self._counter = itertools.count(1)
        self._closed = False
        self._mode: str | None = None
        # bwrap --die-with-parent ties the sandbox to the thread that started it: this one
        # thread starts (and restarts) every zygote and lives as long as the sandbox.
        self._keeper = ThreadPoolExecutor(1, thread_name_prefix="gradcheck-sandbox")
        self._zygote: Future[ZygoteProcess] = self._keeper.submit(self._start, self._modes)
        _OPEN.add(self)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self, modes: Sequence[str]) -> ZygoteProcess:
        if self._mode is None:
            _remove_stale_scratch(self._base.parent)
        problems = []
        for mode in modes:
            zygote = ZygoteProcess(mode, self._base)
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

    def _live_zygote(self) -> ZygoteProcess:
        with self._lock:
            if self._closed:
                raise SandboxError("the sandbox is closed")
            zygote = self._zygote.result()
            if not zygote.alive:   # killed from outside or by a student: start a fresh one
                zygote.stop()
                self._zygote = self._keeper.submit(self._start, [self._mode])
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
        if path.suffix not in SUFFIXES:
            raise SubmissionError(f"{path}: a submission must be a .py or .ipynb file")
        forbid = self.forbid if forbid is None else tuple(str(name) for name in forbid)
        session = Session(self, path, module or path.stem, path.read_bytes(), forbid)
        with self._lock:
            self._sessions.add(session)
        return session

    def _spawn(self, session: Session) -> WorkerHandle:
        limits = self.limits
        request = {
            "op": "spawn", "forbid": list(session.forbid), "read_roots": read_roots(),
            "limits": {"memory": limits.memory, "file_size": limits.file_size,
                       "open_files": limits.open_files, "result_size": limits.result_size},
            "nproc": None,
        }
        if hasattr(os, "geteuid") and os.geteuid() != 0 and os.path.isdir("/proc"):
            request["nproc"] = user_thread_count(os.getuid()) + limits.processes
        for attempt in range(2):
            zygote = self._live_zygote()
            scratch = self._base / f"w{next(self._counter)}"
            work = scratch / "work"
            work.mkdir(parents=True)
            (work / session.path.name).write_bytes(session.source)
            request.update(work=str(work), landlock=zygote.mode != "none" and landlock_abi() > 0)
            worker = WorkerHandle(zygote, scratch, work)
            try:
                worker.spawn(request, self._cgroups, limits.processes)
            except SandboxError:
                worker.close()
                if attempt or zygote.alive:
                    raise
                continue   # the zygote died under us: retry once with a fresh one
            worker.protections["mode"] = zygote.mode
            return worker
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Kill every worker and the zygote; remove all scratch folders. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        with self._lock:
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
        try:
            zygote = self._zygote.result()
        except SandboxError:
            return
        zygote.stop()


class Session:
    """One submission in its own worker. Use :meth:`call` and :meth:`node`; then close it.

    ``load`` is the :class:`LoadReport` of the first load. After a timeout or a crash the next
    request starts a fresh worker and loads the submission again, transparently.
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
        self.load: LoadReport = self._start()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def protections(self) -> dict:
        """What confines the current worker: mode, landlock ABI, seccomp, rlimits, cgroup."""
        return dict(self._worker.protections) if self._worker else {}

    @property
    def scratch(self) -> Path | None:
        """The current worker's working folder (it holds a copy of the submission)."""
        return self._worker.work if self._worker else None

    def _start(self) -> LoadReport:
        worker = self._worker = self._sandbox._spawn(self)
        limits = self._sandbox.limits
        header = {"op": "load", "filename": self.path.name, "module": self.module,
                  "path": str(worker.work / self.path.name)}
        reply = worker.exchange(header, raw=self.source, timeout=limits.load_timeout,
                                max_payload=0)
        output = worker.read_output(limits.output)
        if reply.kind == "reply" and reply.header.get("status") == OK:
            warnings = tuple(str(w) for w in reply.header.get("warnings") or ())
            defs = reply.header.get("defs")
            return LoadReport(True, "", defs if isinstance(defs, dict) else {}, warnings,
                              output, reply.duration)
        status, error = self._failure(worker, reply, "loading the submission",
                                      limits.load_timeout)
        self._worker = None
        worker.close()
        line = reply.header.get("line") if status == ERROR else None
        return LoadReport(False, error, {}, (), output, reply.duration, status,
                          line if isinstance(line, int) else None,
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
        request = Request.call(name, args, arity=arity, timeout=timeout)
        return request.finish(self._request(request))

    def node(self, cls: str, inputs: Sequence[np.ndarray], grad_output: np.ndarray, *,
             timeout: float | None = None) -> CallOutcome:
        """``obj = cls(); out = obj.forward(*inputs); grads = obj.backward(grad_output)``.

        The value is ``(out, grads)``: one float64 array and a tuple with one array per input.
        The timeout covers all three steps.
        """
        request = Request.node(cls, inputs, grad_output, timeout=timeout)
        return request.finish(self._request(request))

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

    def _ready(self) -> tuple[WorkerHandle | None, CallOutcome | None]:
        """The live worker, started afresh after a failure; or (None, the outcome saying
        why none could be started). The caller holds the session's lock."""
        worker = self._worker
        if worker is None or not worker.healthy():
            if worker is not None:
                worker.close()
            report = self._start()
            if not report.ok:
                return None, CallOutcome(CRASHED, None, "the worker was restarted after a "
                                         "failure but the submission did not load again: "
                                         f"{report.error}", report.duration, report.output)
            worker = self._worker
        return worker, None

    def _request(self, request: Request) -> CallOutcome:
        limits = self._sandbox.limits
        timeout = limits.call_timeout if request.timeout is None else float(request.timeout)
        with self._lock:
            if self._closed:
                raise SandboxError("the session is closed")
            if not self.load.ok:
                return CallOutcome(ERROR, message=f"the submission did not load: {self.load.error}")
            worker, failed = self._ready()
            if worker is None:
                return failed
            reply = worker.exchange(request.header, arrays=request.arrays, timeout=timeout,
                                    max_payload=limits.result_size)
            output = worker.read_output(limits.output)
            return self._outcome(worker, reply, request.expected, timeout, request.what, output)

    def _outcome(self, worker: WorkerHandle, reply: Reply, expected: int, timeout: float,
                 what: str, output: str) -> CallOutcome:
        header = reply.header
        if reply.kind == "reply":
            status = header.get("status")
            line = header.get("line")
            line = line if isinstance(line, int) and not isinstance(line, bool) else None
            message = str(header.get("message") or "")
            if status == OK:
                values = reply.arrays
                if len(values) == expected and all(is_plain(v) for v in values):
                    return CallOutcome(OK, values, "", reply.duration, output)
                reply = Reply("garbled", duration=reply.duration,
                              problem=f"{len(values)} arrays where {expected} were expected")
            elif status in STATUSES:
                return CallOutcome(status, None, message, reply.duration, output, line,
                                   str(header.get("traceback") or ""))
            else:
                reply = Reply("garbled", duration=reply.duration, problem=f"status {status!r}")
        status, message = self._failure(worker, reply, what, timeout)
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


def _remove_stale_scratch(folder: Path) -> None:
    """Remove scratch folders of graders that were killed (their pid no longer exists)."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    for path in folder.glob(f"{SCRATCH_PREFIX}*-*"):
        pid = path.name[len(SCRATCH_PREFIX):].split("-")[0]
        try:
            owned = uid is None or path.lstat().st_uid == uid
            if pid.isdigit() and owned and path.is_dir():
                os.kill(int(pid), 0)
        except ProcessLookupError:
            remove_tree(path)
        except OSError:
            continue


@atexit.register
def _close_all() -> None:
    for sandbox in list(_OPEN):
        try:
            sandbox.close()
        except Exception:  # noqa: BLE001 - at exit, close what can be closed
            pass
