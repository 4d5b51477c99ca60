"""The isolated side of gradcheck's sandbox: a zygote that forks one worker per submission.

A standalone script (standard library + numpy; it never imports ``gradcheck``, so student code
finds no grader in ``sys.modules``). The parent (``gradcheck.sandbox``) starts it once::

    python -s -B worker.py --zygote FD --scratch DIR

With ``--keeper`` (outside bubblewrap) the process first forks: the parent stays behind as a
small *keeper* (a child subreaper that only waits; when the zygote dies, however it died, the
keeper kills whatever the zygote's workers left behind, then exits), the child goes on as the
zygote. Under bubblewrap the pid namespace does the same.

The zygote imports numpy, becomes a child subreaper and serves requests on the control socket
FD: ``spawn`` forks a worker (its socket and output file arrive as SCM_RIGHTS fds), ``reap``
kills a worker's process group and returns its wait status, ``quit``. Orphans reparented to
the zygote are killed at once. A worker (``serve.py``) confines itself (``guard``,
``landlock``), says hello, then answers ``load``, ``call``, ``node``, ``layer``, ``value``,
``module``, ``ping`` and ``quit`` (``load``, ``imports``).

Messages both ways are the frames of ``protocol.py`` (JSON header + ``.npy`` arrays, never
pickle). The helper modules next to this file load as a package that exists only while they
load (:func:`_load_helpers`), and none of them stays in ``sys.modules``.
"""

from __future__ import annotations

import gc
import importlib
import os
import select
import signal
import socket
import sys
import time
import types

SWEEP_INTERVAL = 0.2
CTL_MAX_PAYLOAD = 0
LAYERS_KEPT = 2          # Landlock reading layers the zygote keeps built (one per forbid list)


# The helper modules next to this file, loaded by main() (see _load_helpers).
protocol = guard = landlock = processes = serve = None
HELPERS = "_gradcheck_worker"   # the name of their package while they load
_loaded: dict[str, types.ModuleType] = {}   # helper name -> module, once loaded


def _load_helpers(*names: str) -> list:
    """Helper modules from this script's folder, imported as the submodules of a package
    that exists only while they load: they may import each other (``from . import guard``),
    and none of them stays in sys.modules for student code to find. A helper loaded by an
    earlier call is the same module again, not a second copy."""
    package = types.ModuleType(HELPERS)
    package.__path__ = [os.path.dirname(os.path.abspath(__file__))]
    sys.modules[HELPERS] = package
    for name, module in _loaded.items():
        sys.modules[f"{HELPERS}.{name}"] = module
        setattr(package, name, module)
    try:
        return [importlib.import_module(f"{HELPERS}.{name}") for name in names]
    finally:
        for key in [k for k in sys.modules if k == HELPERS or k.startswith(HELPERS + ".")]:
            module = sys.modules.pop(key)
            if key != HELPERS:
                _loaded[key[len(HELPERS) + 1:]] = module


# -- the zygote ----------------------------------------------------------------------------


class Zygote:
    """Forks workers on request; kills every orphan that is not a live worker."""

    def __init__(self, ctl, keeper: int = 0, graders=(), scratch: str = ""):
        self.ctl = ctl
        self.workers: set[int] = set()
        self.statuses: dict[int, int] = {}
        # no signal from a worker may reach these (seccomp): the zygote, its keeper, the
        # grader and the grader's parent (e.g. a batch's coordinator)
        self.protected = tuple(p for p in (os.getpid(), keeper, *graders) if p > 1)
        self.scratch = scratch
        self.layers: dict[tuple, int] = {}   # (read roots, hidden paths) -> ruleset fd
        self.found: dict[tuple, list] = {}   # forbid list -> where those packages are here
        self.proc_hidden = False             # /proc mounted with hidepid=invisible here

    def hide(self, request: dict) -> None:
        """Add to the request's hidden paths (found by the parent) the forbidden packages
        as the import system here finds them (the parent's may differ: its working
        folder, PYTHONPATH, an editable install)."""
        forbid = tuple(sorted(str(n) for n in request.get("forbid") or ()))
        if forbid not in self.found:
            roots = list(request.get("read_roots") or ()) + ["/"]
            self.found[forbid] = [list(p) for p in landlock.package_paths(forbid, roots)]
        known = {tuple(p) for p in request.get("hidden") or ()}
        request["hidden"] = sorted(known | {tuple(p) for p in self.found[forbid]})

    def layer(self, request: dict) -> int:
        """The Landlock reading layer that hides the request's forbidden packages (-1: none
        needed or possible), built once per list and kept for the next workers."""
        hidden = tuple(path for path, _name in request.get("hidden") or ())
        if not hidden or not request.get("landlock"):
            return -1
        key = (tuple(request["read_roots"]), hidden)
        if key not in self.layers:
            readable, listable = landlock.split_roots(list(key[0]), list(hidden))
            if self.scratch:
                readable.append(self.scratch)
            while len(self.layers) >= LAYERS_KEPT:
                os.close(self.layers.pop(next(iter(self.layers))))
            self.layers[key] = landlock.reading_layer(readable, listable)
        return self.layers[key]

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
            strays = [p for p in processes.children() if p not in self.workers]
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
        request["proc_hidden"] = self.proc_hidden
        self.hide(request)
        layer = self.layer(request)
        gc.freeze()  # what the zygote holds stays shared: no collection in a worker touches it
        try:
            pid = os.fork()
        except OSError as exc:
            return {"ok": False, "error": f"fork failed: {exc}"}
        if pid == 0:
            code = 70
            try:
                serve.Worker(request, fds[0], fds[1], zygote, self.ctl, layer,
                             self.protected).run()
                code = 0
            except BaseException:  # noqa: BLE001 - never return into the zygote's loop
                import traceback

                traceback.print_exc()
            finally:
                os._exit(code)
        self.workers.add(pid)
        return {"ok": True, "pid": pid}


def main(argv: list[str]) -> int:
    """Run the zygote on the control socket ``--zygote FD``.

    With ``--scratch DIR`` (the sandbox's private folder, named ``gradcheck-sandbox-*``), the
    zygote removes that folder when the parent vanished without closing the sandbox. With
    ``--keeper`` a keeper process (see the module's docstring) stays between the parent and
    the zygote.
    """
    keeper = "--keeper" in argv
    argv = [a for a in argv if a != "--keeper"]
    if len(argv) not in (3, 5) or argv[1] != "--zygote" or argv[3:4] not in ([], ["--scratch"]):
        print("usage: worker.py --zygote FD [--scratch DIR] [--keeper]", file=sys.stderr)
        return 2
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != here]
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global protocol, guard, landlock, processes, serve
    guard, landlock, processes = _load_helpers("guard", "landlock", "processes")
    grader = os.getppid()
    keeper_pid = 0
    if keeper:
        guard.become_subreaper()
        zygote = os.fork()
        if zygote:
            os.close(int(argv[2]))   # the control socket is the zygote's alone
            if os.geteuid() == 0:
                guard.set_dumpable(False)   # hidden from workers under hidepid
            processes.keep(zygote)
        keeper_pid = os.getppid()
    proc_hidden = guard.private_proc()   # workers see no process they may not trace
    if proc_hidden:
        guard.set_dumpable(False)
    import numpy as np

    protocol, serve = _load_helpers("protocol", "serve")   # and the helpers serve imports
    guard.become_subreaper()
    for name in ("ast", "inspect", "linecache", "traceback", "faulthandler", "numpy.linalg"):
        importlib.import_module(name)   # imported once here, shared by every forked worker
    ctl = protocol.Channel(socket.socket(fileno=int(argv[2])))
    ctl.send({"op": "ready", "pid": os.getpid(), "numpy": np.__version__,
              "python": sys.version.split()[0], "landlock": landlock.landlock_abi()})
    scratch = argv[4] if len(argv) == 5 else ""
    graders = (grader, processes.parent_of(grader)) if keeper else ()   # bwrap: not visible anyway
    zygote = Zygote(ctl, keeper_pid, graders, scratch)
    zygote.proc_hidden = proc_hidden
    orphaned = zygote.serve()
    if orphaned and os.path.basename(scratch).startswith("gradcheck-sandbox-"):
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)
    os._exit(0)   # every worker is gone; skip the interpreter's (numpy's) slow teardown


if __name__ == "__main__":
    sys.exit(main(sys.argv))
