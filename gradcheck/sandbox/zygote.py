"""Parent-side handles on the zygote process and on each worker it forks.

:class:`ZygoteProcess` starts ``worker.py --zygote`` (inside bubblewrap in mode ``bwrap``,
behind a keeper process otherwise) and serialises requests on its control socket, so many
threads may spawn and reap workers at once. :class:`WorkerHandle` is one worker: its socket,
output file, host pid (read from SCM_CREDENTIALS, so it is right inside a pid namespace too),
pidfd and cgroups. It sends
requests with a wall-clock deadline, reads replies with size caps, and kills everything the
worker started. Policy (what a timeout or a crash means) lives in ``sandbox.py``.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from gradcheck.errors import SandboxError
from gradcheck.sandbox.cgroups import Cgroups
from gradcheck.sandbox.child.protocol import Channel, ProtocolError, TooLarge, encode
from gradcheck.sandbox.confine import (
    WORKER_VIEW,
    bwrap_command,
    clean_environment,
    worker_script,
)
from gradcheck.sandbox.limits import clean_output

SCRATCH_PREFIX = "gradcheck-sandbox-"   # + the pid of the process that made the folder
CONTROL_TIMEOUT = 10.0     # seconds for the zygote to answer a spawn or reap request
HELLO_TIMEOUT = 10.0       # seconds for a forked worker to confine itself and say hello
REPLY_SLACK = 1 << 16      # bytes of .npy headers and JSON allowed on top of the array data


class ZygoteProcess:
    """One zygote and its control channel; ``start`` must run on a thread that stays alive."""

    def __init__(self, mode: str, base: Path, hidden=()):
        self.mode = mode
        self.base = base
        self.hidden = tuple(hidden)   # (path, package) covered in the bwrap view
        self.log = base / f"zygote-{mode}.log"
        self.process: subprocess.Popen | None = None
        self.ctl: Channel | None = None
        self.info: dict = {}
        self.lock = threading.Lock()
        self.broken = False

    def start(self, timeout: float) -> None:
        """Start the zygote and wait until it has imported numpy; SandboxError otherwise."""
        ours, theirs = socket.socketpair()
        script = f"{WORKER_VIEW}/worker.py" if self.mode == "bwrap" else str(worker_script())
        command = [sys.executable, "-s", "-B", script, "--zygote",
                   str(theirs.fileno()), "--scratch", str(self.base)]
        if self.mode == "bwrap":
            command = bwrap_command(self.base, self.hidden) + command
        else:   # bwrap's pid namespace ends everything with the zygote; elsewhere a keeper
            command.append("--keeper")
        with open(self.log, "wb") as log:
            try:
                self.process = subprocess.Popen(
                    command, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=log, cwd=self.base, start_new_session=True,
                    env=clean_environment(os.environ, str(self.base)))
            except OSError as exc:
                raise SandboxError(f"cannot start the sandbox ({self.mode}): {exc}") from exc
            finally:
                theirs.close()
        self.ctl = Channel(ours)
        try:
            header, _raw, _arrays = self.ctl.receive(max_payload=0,
                                                     deadline=time.monotonic() + timeout)
        except (EOFError, TimeoutError, ProtocolError, OSError) as exc:
            self.stop()
            reason = "it did not start in time" if isinstance(exc, TimeoutError) else "it exited"
            raise SandboxError(f"the sandbox ({self.mode}) failed: {reason}. "
                               f"{self._log_tail()}".strip()) from None
        if header.get("op") != "ready":
            self.stop()
            raise SandboxError(f"the sandbox ({self.mode}) sent {header!r} instead of 'ready'")
        self.info = header

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    @property
    def alive(self) -> bool:
        return not self.broken and self.process is not None and self.process.poll() is None

    def request(self, header: dict, fds=(), timeout: float = CONTROL_TIMEOUT) -> dict:
        """Send one control request and return the zygote's reply (SandboxError if it fails)."""
        with self.lock:
            if not self.alive or self.ctl is None:
                raise SandboxError("the sandbox's zygote is not running")
            try:
                self.ctl.send(header, fds=fds)
                reply, _raw, _arrays = self.ctl.receive(max_payload=0,
                                                        deadline=time.monotonic() + timeout)
            except (OSError, EOFError, TimeoutError, ProtocolError) as exc:
                self.broken = True
                raise SandboxError(f"the sandbox's zygote stopped answering ({exc!r})") from None
        return reply

    def stop(self) -> None:
        """Ask the zygote to quit (it kills its workers), then make sure it is gone."""
        self.broken = True
        if self.ctl is not None and self.lock.acquire(timeout=CONTROL_TIMEOUT):
            try:
                self.ctl.send({"op": "quit"})
            except OSError:
                pass
            finally:
                self.lock.release()
        if self.process is not None:
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                pass
            self.process.wait()
        if self.ctl is not None:
            self.ctl.sock.close()


@dataclass
class Reply:
    """What came back from one request: ``kind`` is "reply", "timeout", "died", "too large"
    or "garbled" (with ``problem`` saying how)."""

    kind: str
    header: dict = field(default_factory=dict)
    arrays: list = field(default_factory=list)
    duration: float = 0.0
    problem: str = ""


class WorkerHandle:
    """The parent's handle on one forked worker and its scratch folder."""

    def __init__(self, zygote: ZygoteProcess, scratch: Path, work: Path):
        self.zygote = zygote
        self.scratch = scratch
        self.work = work
        self.out_fd = -1
        self.chan: Channel | None = None
        self.ns_pid = 0
        self.host_pid = 0
        self.pidfd = -1
        self.cgroup: dict[str, Path] = {}   # controller -> this worker's group
        self.cgroups: Cgroups | None = None
        self.protections: dict = {}
        self.request_id = 0
        self.dead = False

    def spawn(self, request: dict, cgroups: Cgroups | None, processes: int,
              memory: int) -> None:
        """Have the zygote fork the worker; wait for its hello; put it in its cgroups."""
        ours, theirs = socket.socketpair()
        if hasattr(socket, "SO_PASSCRED"):
            ours.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.chan = Channel(ours)
        self.out_fd = os.open(self.scratch / "output", os.O_RDWR | os.O_CREAT | os.O_APPEND
                              | os.O_CLOEXEC, 0o600)
        try:
            reply = self.zygote.request(request, fds=[theirs.fileno(), self.out_fd])
        finally:
            theirs.close()
        if not reply.get("ok"):
            raise SandboxError(f"the sandbox could not start a worker: {reply.get('error')}")
        self.ns_pid = int(reply["pid"])
        try:
            hello, _raw, _arrays = self.chan.receive(
                max_payload=0, deadline=time.monotonic() + HELLO_TIMEOUT, credentials=True)
        except (EOFError, TimeoutError, ProtocolError, OSError) as exc:
            self.kill()
            raise SandboxError(f"a new worker did not start ({exc!r}); "
                               f"{self.read_output(4096)}".strip()) from None
        if hello.get("op") != "hello" or hello.get("pid") != self.ns_pid:
            self.kill()
            raise SandboxError(f"a new worker sent {hello!r} instead of hello")
        self.host_pid = self.chan.peer_pid or self.ns_pid
        self.protections = dict(hello.get("protections") or {})
        if hasattr(os, "pidfd_open"):
            try:
                self.pidfd = os.pidfd_open(self.host_pid)
            except OSError:
                self.pidfd = -1
        if cgroups is not None:
            self.cgroups = cgroups
            self.cgroup = cgroups.add(self.scratch.name, self.host_pid, processes, memory)
        self.protections["pids_cgroup"] = "pids" in self.cgroup
        self.protections["memory_cgroup"] = "memory" in self.cgroup

    def healthy(self) -> bool:
        """False when the worker hung up or wrote something nobody asked for."""
        if self.dead or self.chan is None:
            return False
        if self.chan.buffer:
            return False
        readable, _, _ = select.select([self.chan.sock], [], [], 0)
        return not readable

    def exchange(self, header: dict, *, timeout: float, max_payload: int, arrays=(),
                 raw: bytes = b"") -> Reply:
        """Send a request and wait at most ``timeout`` seconds (wall clock) for the reply."""
        start = time.monotonic()
        request_id = self.send(header, timeout=timeout, arrays=arrays, raw=raw)
        if request_id is None:
            return Reply("died", duration=time.monotonic() - start)
        return self.receive(request_id, start=start, timeout=timeout, max_payload=max_payload)

    def send(self, header: dict, *, timeout: float, arrays=(), raw: bytes = b"") -> int | None:
        """Send one request without waiting for its reply; its id, or None if the worker is
        gone. Requests sent ahead are answered in order (see :meth:`receive`)."""
        self.request_id += 1
        try:
            self.chan.send(dict(header, id=self.request_id, timeout=timeout), arrays, raw)
        except OSError:
            return None
        return self.request_id

    def send_many(self, requests: list[tuple[dict, float, tuple]]) -> list[int] | None:
        """Send several ``(header, timeout, arrays)`` requests in one write; their ids, or
        None if the worker is gone (then none of them counts as sent)."""
        frames, ids = [], []
        for header, timeout, arrays in requests:
            self.request_id += 1
            ids.append(self.request_id)
            frames.append(encode(dict(header, id=self.request_id, timeout=timeout), arrays))
        try:
            self.chan.send_frames(frames)
        except OSError:
            return None
        return ids

    def receive(self, request_id: int, *, start: float, timeout: float,
                max_payload: int) -> Reply:
        """The reply to request ``request_id``, waiting until ``start + timeout`` at most."""
        try:
            reply, _raw, out = self.chan.receive(max_payload=max_payload + REPLY_SLACK,
                                                 deadline=start + timeout)
        except TimeoutError:
            return Reply("timeout", duration=time.monotonic() - start)
        except EOFError:
            return Reply("died", duration=time.monotonic() - start)
        except TooLarge as exc:
            return Reply("too large", duration=time.monotonic() - start, problem=str(exc))
        except ProtocolError as exc:
            return Reply("garbled", duration=time.monotonic() - start, problem=str(exc))
        duration = time.monotonic() - start
        if reply.get("id") != request_id:
            return Reply("garbled", duration=duration, problem="a reply to another request")
        return Reply("reply", reply, out, duration)

    def read_output(self, limit: int) -> str:
        """What the worker printed since the last read (then the file is emptied)."""
        if self.out_fd < 0:
            return ""
        try:
            total = os.fstat(self.out_fd).st_size
            if total == 0:
                return ""
            data = os.pread(self.out_fd, min(total, limit), 0)
            os.ftruncate(self.out_fd, 0)
        except OSError:
            return ""
        return clean_output(data, total)

    def kill(self) -> int | None:
        """Kill the worker and everything it started; its wait status when known."""
        status = None
        if self.pidfd >= 0:
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except OSError:
                pass
        if self.ns_pid and not self.dead:
            try:
                status = self.zygote.request({"op": "reap", "pid": self.ns_pid}).get("status")
            except SandboxError:
                pass
        self.dead = True
        if self.cgroup and self.cgroups is not None:
            self.cgroups.remove(self.cgroup)
            self.cgroup = {}
        return status

    def close(self) -> None:
        """Kill the worker, close its channel and files, remove its scratch folder."""
        if not self.dead:
            self.kill()
        if self.chan is not None:
            self.chan.sock.close()
        for fd in (self.pidfd, self.out_fd):
            if fd >= 0:
                os.close(fd)
        self.pidfd = self.out_fd = -1
        remove_tree(self.scratch)


def remove_tree(path: Path) -> None:
    """Remove a folder the student wrote into, also where it removed its own permissions."""
    def retry(function, name, _problem):
        try:
            os.chmod(os.path.dirname(name), stat.S_IRWXU)
            if os.path.isdir(name) and not os.path.islink(name):
                os.chmod(name, stat.S_IRWXU)
            function(name)
        except OSError:
            pass

    if not os.path.lexists(path):
        return
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=retry)
    else:
        shutil.rmtree(path, onerror=retry)


def remove_stale_scratch(folder: Path) -> None:
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
