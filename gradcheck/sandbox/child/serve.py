"""One worker: a submission's own process, forked by the zygote (``worker.py``).

Part of the standalone worker (standard library + numpy, never imports ``gradcheck``; it
loads as a helper of ``worker.py``). :class:`Worker` confines the process before any student
code runs (own session, stdio, scratch folder, rlimits, capabilities, seccomp, Landlock),
says hello with what was applied, then answers ``load``, ``call``, ``node``, ``layer``,
``value``, ``module`` and ``ping`` requests (``load``, ``layer``, ``objects``) until ``quit``.
"""

from __future__ import annotations

import os
import signal
import socket
import sys

from . import guard, imports, landlock, layer, load, objects, processes, protocol, values

REQUEST_MAX_PAYLOAD = 1 << 30


class Worker:
    """One submission's process: confine, load, answer requests until told to quit."""

    def __init__(self, request, sock_fd, out_fd, zygote, ctl, layer=-1, protected=()):
        self.request = request
        self.sock_fd = sock_fd
        self.out_fd = out_fd
        self.zygote = zygote
        self.ctl = ctl
        self.layer = layer           # a Landlock reading layer built by the zygote, or -1
        self.protected = protected   # pids no signal from here may reach
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
        low = 3
        for keep in sorted({self.sock_fd, self.layer} - {-1}):
            os.closerange(low, keep)
            low = keep + 1
        os.closerange(low, 1 << 16)
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
        if request.get("proc_hidden"):   # the zygote is not dumpable; the worker's children
            guard.set_dumpable(True)      # must be, for it to find and end them in /proc
        protections["proc_hidden"] = bool(request.get("proc_hidden"))
        protections["ipc_namespace"] = guard.own_ipc_namespace()
        if guard.limit_own_processes(int(limits.get("processes", 64))):
            protections["rlimits"].append("RLIMIT_NPROC (this worker's own)")
        protections["capabilities_dropped"] = guard.drop_capabilities()
        protections["seccomp"] = guard.install_seccomp(
            self.protected, os.getpid(), shared_ipc=not protections["ipc_namespace"])
        protections["landlock"] = 0
        if request.get("landlock"):
            layers = [self.layer] if self.layer >= 0 else []
            protections["landlock"] = landlock.apply_landlock(
                read_roots=list(request["read_roots"]) + [work], write_dirs=[work],
                layers=layers)
            protections["landlock_hides_forbidden"] = bool(layers and protections["landlock"])
        if self.layer >= 0:
            os.close(self.layer)
        return protections

    def run(self) -> None:
        protections = self.confine()
        guard_imports = imports.ImportGuard(self.request.get("forbid", ()),
                                            self.request.get("hidden", ()))
        guard_imports.install()
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
                reply, out = self.handle(header, raw, arrays, guard_imports)
            except BaseException as exc:  # noqa: BLE001 - e.g. interrupt_main() from a thread
                reply, out = {"status": "error", "message": "the request was interrupted: "
                              f"{type(exc).__name__}: {exc}"}, []
            reply["id"] = header.get("id")
            processes.end_descendants()
            try:
                chan.send(reply, out)
            except OSError:
                return

    def handle(self, header: dict, raw: bytes, arrays: list, guarded) -> tuple[dict, list]:
        """Answer one request: (reply header, arrays)."""
        op = header.get("op")
        guard.set_cpu_limit(float(header.get("timeout", 60)))
        out: list = []
        if op == "load":
            max_bytes = int(self.request["limits"]["result_size"])
            self.submission = load.Submission(raw, header["filename"], header["module"],
                                              header["path"], guarded, max_bytes, values)
            reply = self.submission.load()
        elif op == "call" and self.submission:
            reply, out = self.submission.call(header["name"], arrays, header.get("arity"),
                                              _params(header))
        elif op == "node" and self.submission and arrays:
            reply, out = self.submission.node(header["name"], arrays[:-1], arrays[-1],
                                              _params(header), header.get("grads"),
                                              header.get("grad_names", ()))
        elif op == "layer" and self.submission and arrays:
            reply, out = layer.run(self.submission, header, arrays)
        elif op == "value" and self.submission:
            reply, out = objects.run_value(self.submission, header, arrays)
        elif op == "module" and self.submission and arrays:
            reply, out = objects.run_module(self.submission, header, arrays)
        elif op == "ping":
            reply = {"status": "ok"}
        else:
            reply = {"status": "error", "message": f"unexpected request {op!r}"}
        _flush()
        violation = guarded.violation()
        if violation and reply.get("status") == "ok":
            return {"status": "error", "error": violation, "message": violation}, []
        return reply, out


def _params(header: dict) -> list:
    """The plain values a request passes after the arrays (the spec's parameters)."""
    params = header.get("params")
    return list(params) if isinstance(params, list) else []


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - the student may have replaced or closed it
            pass
