"""The isolated side of gradcheck's sandbox: a zygote that forks one worker per submission.

A standalone script (standard library + numpy; it never imports ``gradcheck``, so student code
finds no grader in ``sys.modules``). The parent (``gradcheck.sandbox``) starts it once::

    python -s -B worker.py --zygote FD --scratch DIR

The zygote imports numpy, becomes a child subreaper and serves requests on the control socket
FD: ``spawn`` forks a worker (its socket and output file arrive as SCM_RIGHTS fds), ``reap``
kills a worker's process group and returns its wait status, ``quit``. Orphans reparented to
the zygote are killed at once. A worker confines itself (``worker_guard``), says hello, then
answers ``load``, ``call``, ``node``, ``ping`` and ``quit`` (``worker_load``).

Messages both ways are the frames of ``protocol.py`` (JSON header + ``.npy`` arrays, never
pickle). The helper modules next to this file are loaded by path and kept out of
``sys.modules``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import select
import signal
import socket
import sys
import time

import numpy as np

SWEEP_INTERVAL = 0.2
CTL_MAX_PAYLOAD = 0
REQUEST_MAX_PAYLOAD = 1 << 30


# The helper modules next to this file, loaded by main() (see _load_sibling).
protocol = guard = load = values = None


def _load_sibling(name: str):
    """A helper module from this script's folder, loaded by path and kept out of sys.modules."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py")
    spec = importlib.util.spec_from_file_location("_gradcheck_" + name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # dataclass/inspect machinery looks modules up by name
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


# -- the zygote ----------------------------------------------------------------------------


def _children() -> list[int]:
    """Direct children of this (single-threaded) process."""
    try:
        with open(f"/proc/self/task/{os.getpid()}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        pass
    children = []
    if not os.path.isdir("/proc"):
        return children   # no procfs (macOS): orphans are not swept
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid():
                children.append(int(entry))
    return children


class Zygote:
    """Forks workers on request; kills every orphan that is not a live worker."""

    def __init__(self, ctl):
        self.ctl = ctl
        self.workers: set[int] = set()
        self.statuses: dict[int, int] = {}

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.workers:
                self.workers.discard(pid)
                self.statuses[pid] = status
                while len(self.statuses) > 256:
                    del self.statuses[next(iter(self.statuses))]

    def sweep(self, rounds: int = 1) -> None:
        """Kill and reap children that are not live workers (escaped, double-forked, ...)."""
        for _ in range(rounds):
            self.reap()
            strays = [p for p in _children() if p not in self.workers]
            if not strays:
                return
            for pid in strays:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.002)
        self.reap()

    def serve(self) -> bool:
        """Answer requests until ``quit`` (returns False) or the parent is gone (True)."""
        orphaned = True
        while True:
            readable, _, _ = select.select([self.ctl.sock], [], [], SWEEP_INTERVAL)
            self.sweep()
            if not readable:
                continue
            fds: list[int] = []
            try:
                header, _raw, _arrays = self.ctl.receive(max_payload=CTL_MAX_PAYLOAD, fds=fds)
            except (EOFError, OSError, protocol.ProtocolError):
                break
            op = header.get("op")
            if op == "spawn":
                reply = self.spawn(header, fds)
            elif op == "reap":
                reply = self.finish(int(header["pid"]))
            elif op == "quit":
                orphaned = False
                break
            else:
                reply = {"ok": False, "error": f"unknown request {op!r}"}
            for fd in fds:
                os.close(fd)
            try:
                self.ctl.send(reply)
            except OSError:
                break
        for pid in list(self.workers):
            self.finish(pid)
        self.sweep(rounds=50)
        return orphaned

    def finish(self, pid: int) -> dict:
        """Kill a worker's process group, wait for it, return its wait status."""
        if pid in self.workers:
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            try:
                _, status = os.waitpid(pid, 0)
                self.statuses[pid] = status
            except ChildProcessError:
                pass
            self.workers.discard(pid)
        self.sweep(rounds=50)
        return {"ok": True, "status": self.statuses.get(pid)}

    def spawn(self, request: dict, fds: list[int]) -> dict:
        if len(fds) != 2:
            return {"ok": False, "error": "a spawn request needs a socket and an output file"}
        zygote = os.getpid()
        try:
            pid = os.fork()
        except OSError as exc:
            return {"ok": False, "error": f"fork failed: {exc}"}
        if pid == 0:
            code = 70
            try:
                Worker(request, fds[0], fds[1], zygote, self.ctl).run()
                code = 0
            except BaseException:  # noqa: BLE001 - never return into the zygote's loop
                import traceback

                traceback.print_exc()
            finally:
                os._exit(code)
        self.workers.add(pid)
        return {"ok": True, "pid": pid}


# -- a worker --------------------------------------------------------------------------------


class Worker:
    """One submission's process: confine, load, answer requests until told to quit."""

    def __init__(self, request, sock_fd, out_fd, zygote, ctl):
        self.request = request
        self.sock_fd = sock_fd
        self.out_fd = out_fd
        self.zygote = zygote
        self.ctl = ctl
        self.submission = None

    def confine(self) -> dict:
        """Own session, parent-death signal, stdio, scratch folder, limits, capabilities,
        seccomp, Landlock: all before any student code. Returns what was applied."""
        os.setsid()
        request = self.request
        guard.set_parent_death_signal(signal.SIGKILL)
        guard.become_subreaper()  # what student code starts stays ours, to end with each call
        if os.getppid() != self.zygote:
            os._exit(1)
        self.ctl.sock.close()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if hasattr(signal, "SIGXFSZ"):
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # too much output: EFBIG, not death
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(self.out_fd, 1)
        os.dup2(self.out_fd, 2)
        for fd in (null, self.out_fd):
            os.close(fd)
        os.closerange(3, self.sock_fd)
        os.closerange(self.sock_fd + 1, 1 << 16)
        sys.stdout.reconfigure(line_buffering=True)
        import faulthandler

        faulthandler.enable(sys.stderr)
        work = request["work"]
        os.environ.update(HOME=work, TMPDIR=work)
        os.chdir(work)
        limits = request["limits"]
        protections = {"rlimits": guard.apply_rlimits(
            memory=limits["memory"], file_size=limits["file_size"],
            open_files=limits["open_files"], processes=request.get("nproc"))}
        protections["capabilities_dropped"] = guard.drop_capabilities()
        protections["seccomp"] = guard.deny_sockets()
        protections["landlock"] = 0
        if request.get("landlock"):
            protections["landlock"] = guard.apply_landlock(
                read_roots=list(request["read_roots"]) + [work], write_dirs=[work])
        return protections

    def run(self) -> None:
        protections = self.confine()
        imports = load.ImportGuard(self.request.get("forbid", ()))
        imports.install()
        chan = protocol.Channel(socket.socket(fileno=self.sock_fd))
        chan.send({"op": "hello", "pid": os.getpid(), "protections": protections})
        while True:
            try:
                header, raw, arrays = chan.receive(max_payload=REQUEST_MAX_PAYLOAD)
            except (EOFError, OSError, protocol.ProtocolError):
                return
            if header.get("op") == "quit":
                return
            try:
                reply, out = self.handle(header, raw, arrays, imports)
            except BaseException as exc:  # noqa: BLE001 - e.g. interrupt_main() from a thread
                reply, out = {"status": "error", "message": "the request was interrupted: "
                              f"{type(exc).__name__}: {exc}"}, []
            reply["id"] = header.get("id")
            _end_descendants()
            try:
                chan.send(reply, out)
            except OSError:
                return

    def handle(self, header: dict, raw: bytes, arrays: list, imports) -> tuple[dict, list]:
        """Answer one request: (reply header, arrays)."""
        op = header.get("op")
        guard.set_cpu_limit(float(header.get("timeout", 60)))
        out: list = []
        if op == "load":
            max_bytes = int(self.request["limits"]["result_size"])
            self.submission = load.Submission(raw, header["filename"], header["module"],
                                              header["path"], imports, max_bytes, values)
            reply = self.submission.load()
        elif op == "call" and self.submission:
            reply, out = self.submission.call(header["name"], arrays, header.get("arity"))
        elif op == "node" and self.submission and arrays:
            reply, out = self.submission.node(header["name"], arrays[:-1], arrays[-1])
        elif op == "ping":
            reply = {"status": "ok"}
        else:
            reply = {"status": "error", "message": f"unexpected request {op!r}"}
        _flush()
        violation = imports.violation()
        if violation and reply.get("status") == "ok":
            return {"status": "error", "error": violation, "message": violation}, []
        return reply, out


def _has_children() -> bool:
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    return True


def _end_descendants(rounds: int = 50) -> None:
    """Kill everything the last request started, before answering it.

    The worker is a subreaper, so descendants whose parents die (double-forked daemons,
    ``setsid`` children) become its children; one cheap ``waitid`` says whether there are any.
    """
    for _ in range(rounds):
        if not _has_children():
            return
        for pid in _children():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        time.sleep(0.001)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - the student may have replaced or closed it
            pass


def main(argv: list[str]) -> int:
    """Run the zygote on the control socket ``--zygote FD``.

    With ``--scratch DIR`` (the sandbox's private folder, named ``gradcheck-sandbox-*``), the
    zygote removes that folder when the parent vanished without closing the sandbox.
    """
    if len(argv) not in (3, 5) or argv[1] != "--zygote" or argv[3:4] not in ([], ["--scratch"]):
        print("usage: worker.py --zygote FD [--scratch DIR]", file=sys.stderr)
        return 2
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != here]
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global protocol, guard, load, values
    protocol = _load_sibling("protocol")
    guard = _load_sibling("worker_guard")
    load = _load_sibling("worker_load")
    values = _load_sibling("worker_values")
    guard.become_subreaper()
    for name in ("ast", "inspect", "linecache", "traceback", "faulthandler", "numpy.linalg"):
        importlib.import_module(name)   # imported once here, shared by every forked worker
    ctl = protocol.Channel(socket.socket(fileno=int(argv[2])))
    ctl.send({"op": "ready", "pid": os.getpid(), "numpy": np.__version__,
              "python": sys.version.split()[0], "landlock": guard.landlock_abi()})
    orphaned = Zygote(ctl).serve()
    scratch = argv[4] if len(argv) == 5 else ""
    if orphaned and os.path.basename(scratch).startswith("gradcheck-sandbox-"):
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)
    os._exit(0)   # every worker is gone; skip the interpreter's (numpy's) slow teardown


if __name__ == "__main__":
    sys.exit(main(sys.argv))
