"""Run untrusted submissions in isolated worker processes; the grader's only way in.

A :class:`Sandbox` starts one zygote (``worker.py``) that imports numpy once, in the
background, and forks a worker per submission. Each worker has its own session, scratch folder,
resource limits, pids and memory cgroups where the machine has them, and, depending on the
mode, a bubblewrap view of the file system (``bwrap``) or Landlock rules (``landlock``, also
layered inside bwrap) that leave out the forbidden packages. See ``docs/sandbox.md`` for what
holds where.

>>> import tempfile
>>> import numpy as np
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
import weakref
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from gradcheck.errors import SandboxError, SubmissionError
from gradcheck.sandbox.cgroups import Cgroups
from gradcheck.sandbox.child.landlock import landlock_abi
from gradcheck.sandbox.confine import (
    candidate_modes,
    forbidden_paths,
    mode_warning,
    read_roots,
    user_thread_count,
)
from gradcheck.sandbox.limits import STATUSES, SUBMISSION_SUFFIXES, CallOutcome, Limits, LoadReport
from gradcheck.sandbox.pipeline import Request
from gradcheck.sandbox.session import Session
from gradcheck.sandbox.zygote import (
    SCRATCH_PREFIX,
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
        if path.suffix.lower() not in SUBMISSION_SUFFIXES:
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
                       "open_files": limits.open_files, "result_size": limits.result_size,
                       "processes": limits.processes},
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

    def _forget(self, session: Session) -> None:
        """A closed session (called by :meth:`Session.close`)."""
        with self._lock:
            self._sessions.discard(session)

    def _stop(self) -> None:
        for zygote in self._retired:
            zygote.stop()
        try:
            zygote = self._zygote.result()
        except SandboxError:
            return
        zygote.stop()


@atexit.register
def _close_all() -> None:
    for sandbox in list(_OPEN):
        try:
            sandbox.close()
        except Exception:  # noqa: BLE001 - at exit, close what can be closed
            pass
