"""Answers from code that runs in this very process: the functions a student defined in a
running notebook kernel, for :func:`gradcheck.grading.grader.grade_exercise`.

This is the one place where gradcheck calls student code in its own process, and only ever
in the student's own kernel (``gradcheck.notebook``); ``gradcheck grade`` and ``batch`` run
submissions in sandbox workers. To give the same verdicts as a worker, the calls go through
the worker's own code (``sandbox/child/load.py``: the same lookup, the same messages for a
missing or wrong definition, for an exception and for a "not implemented"; ``values.py``:
every answer becomes a plain float64 array by the same rules). What differs is how a call
is stopped: a function that does not return within its timeout is interrupted (SIGALRM in
the main thread, else an exception raised into the calling thread) and reported with the
worker's timeout message.

>>> import numpy as np
>>> from gradcheck.sandbox import Request
>>> def d_1c(x):
...     s = 1 / (1 + np.exp(-x))
...     return s * (1 - s)
>>> ask = InProcess({"d_1c": d_1c})
>>> [(o.status, float(o.value)) for o in ask([Request.call("d_1c", [np.array(0.0)])])]
[('ok', 0.25)]
>>> ask.defs["d_1c"], "d_1d" in ask.defs
({'line': 1, 'kind': 'function', 'params': ['x']}, False)
"""

from __future__ import annotations

import ast
import contextlib
import ctypes
import io
import linecache
import os
import re
import signal
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

import gradcheck
from gradcheck.sandbox import CallOutcome, Limits, Request
from gradcheck.sandbox.child import layer, load, objects, values
from gradcheck.sandbox.child.imports import ImportGuard
from gradcheck.sandbox.limits import OK, STATUSES, TIMEOUT, clean_output

REPEAT = 0.05   # seconds between interruptions once a call is over its time (it may catch one)
_OURS = os.path.dirname(os.path.abspath(gradcheck.__file__)) + os.sep
_FILE_NAMES = re.compile(r"/[^\s,():]+\.py|<ipython-input-[^>]+>")   # in messages


class _Timeout(BaseException):
    """Raised into student code that ran out of time (not an Exception: `except Exception`
    in the student's code does not swallow it)."""


class InProcess:
    """An *ask* function (``ask(requests, stop=...)``) that calls into ``namespace``.

    ``filename`` names the code in messages ("this notebook defines no function d_1a");
    ``label`` turns a code file name into what the student knows it as (a notebook cell).
    """

    def __init__(self, namespace: Mapping, *, filename: str = "this notebook",
                 limits: Limits | None = None, label: Callable[[str], str] | None = None):
        self.limits = limits = limits or Limits()
        self.label = label
        self.submission = load.Submission(b"", filename, "__main__", "", ImportGuard(()),
                                          limits.result_size, values)
        self.submission.namespace = namespace
        self.submission.files = _StudentFiles()

    @property
    def defs(self) -> Mapping[str, dict]:
        """The worker's description (``LoadReport.defs``) of every name, made when asked."""
        return _Defs(self.submission.namespace)

    def __call__(self, requests: Sequence[Request], *, stop: Iterable[str] = ()
                 ) -> list[CallOutcome]:
        stop = frozenset(stop)
        outcomes: list[CallOutcome] = []
        for request in requests:
            if outcomes and outcomes[-1].status in stop:
                break
            outcomes.append(self.ask(request))
        return outcomes

    def ask(self, request: Request) -> CallOutcome:
        """One request, answered as a worker answers it."""
        timeout = request.timeout_in(self.limits)
        header = request.header
        arrays = [np.array(a, copy=True) for a in request.arrays]  # the student may write
        if header["op"] not in _OPS:
            return CallOutcome("error", message=f"{request.what} cannot be checked in the "
                               "notebook; `gradcheck grade` checks it")

        def run():
            return _OPS[header["op"]](self.submission, header, arrays)

        printed = _Capped(self.limits.output)
        started = time.monotonic()
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            finished, (reply, answer) = _within(run, timeout)
        duration = round(time.monotonic() - started, 4)
        output = printed.text()
        if not finished:
            return CallOutcome(TIMEOUT, None, f"{request.what} did not finish within "
                               f"{timeout:g} s", duration, output)
        status = reply.get("status")
        if str(reply.get("message", "")).startswith("KeyboardInterrupt"):
            raise KeyboardInterrupt   # the kernel was interrupted: stop checking
        if status == OK:
            return CallOutcome(OK, request.shape(answer), "", duration, output)
        line = reply.get("line")
        return CallOutcome(status if status in STATUSES else "error", None,
                           self._labelled(str(reply.get("message") or "")), duration, output,
                           line if type(line) is int else None,
                           self._labelled(str(reply.get("traceback") or "")))

    def _labelled(self, text: str) -> str:
        if self.label is None or not text:
            return text
        for name in sorted(_FILE_NAMES.findall(text), key=len, reverse=True):
            text = text.replace(name, self.label(name))
        return text


# What the worker runs for each request (``worker.handle``), on the same Submission.
_OPS = {
    "call": lambda s, h, a: s.call(h["name"], a, h.get("arity"), _params(h)),
    "node": lambda s, h, a: s.node(h["name"], a[:-1], a[-1], _params(h), h.get("grads"),
                                   h.get("grad_names", ())),
    "layer": layer.run,
    "value": objects.run_value,
    "module": objects.run_module,
}


def _params(header: dict) -> list:
    params = header.get("params")
    return list(params) if isinstance(params, list) else []


class _Defs(Mapping):
    """``LoadReport.defs`` of a namespace, each entry described when it is asked for."""

    def __init__(self, namespace: Mapping):
        self.namespace = namespace

    def __getitem__(self, name: str) -> dict:
        value = self.namespace[name]
        return {"line": _first_line(value), **load._describe_definition(value)}

    def __iter__(self):
        return (n for n in list(self.namespace) if isinstance(n, str)
                and not n.startswith("__"))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _first_line(value) -> int | None:
    """The line a function or class starts on in its cell or file, when it can be told."""
    code = getattr(value, "__code__", None)
    if code is not None:
        return code.co_firstlineno
    if not isinstance(value, type):
        return None
    if isinstance(getattr(value, "__firstlineno__", None), int):   # Python 3.13
        return value.__firstlineno__
    # The class statement in the source of its methods (a cell's source is in linecache)
    codes = [getattr(getattr(v, "__func__", v), "__code__", None) for v in vars(value).values()]
    filename = next((c.co_filename for c in codes if c is not None), None)
    try:
        tree = ast.parse("".join(linecache.getlines(filename))) if filename else None
    except (SyntaxError, ValueError):
        return None
    lines = [node.lineno for node in (tree.body if tree else ())
             if isinstance(node, ast.ClassDef) and node.name == value.__name__]
    return lines[-1] if lines else None


class _StudentFiles:
    """``filename in files`` for the frames of a student's traceback: everything but the
    standard library, installed packages and gradcheck itself."""

    def __init__(self):
        paths = sysconfig.get_paths()
        roots = {paths.get(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")}
        roots.add(os.path.dirname(gradcheck.__file__))
        self.roots = tuple(os.path.realpath(r) + os.sep for r in roots if r)

    def __contains__(self, filename: object) -> bool:
        if not isinstance(filename, str) or filename.startswith("<frozen "):
            return False
        if filename.startswith("<"):   # <ipython-input-...>, <string>: typed-in code
            return True
        real = os.path.realpath(filename)
        return not real.startswith(self.roots)


class _Capped(io.StringIO):
    """What the student's code prints during a call, kept up to ``limit`` characters."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit
        self.total = 0

    def write(self, text: str) -> int:
        self.total += len(text)
        room = self.limit - self.tell()
        if room > 0:
            super().write(text[:room])
        return len(text)

    def text(self) -> str:
        data = self.getvalue().encode("utf-8", "replace")
        return clean_output(data, None) + (
            f"\n[output truncated: {self.total - self.limit} more characters not shown]"
            if self.total > self.limit else "")


def _within(run: Callable[[], tuple], timeout: float) -> tuple[bool, tuple]:
    """``(True, run())``, or ``(False, (None, None))`` when ``run`` did not return within
    ``timeout`` seconds and was interrupted."""
    alarm = _Alarm(timeout)
    try:
        try:
            alarm.start()
            result = run()
        finally:
            alarm.stop()
    except _Timeout:
        alarm.stop()
        return False, (None, None)
    if alarm.fired:   # the student's code caught the interruption and ended anyway
        return False, (None, None)
    return True, result


class _Alarm:
    """Interrupts the calling thread after ``timeout`` seconds, and again every
    :data:`REPEAT` seconds until stopped.

    In the main thread (a kernel runs its cells there) with SIGALRM, which also ends a sleep;
    when the student's code caught the first interruption, every further line it runs
    raises again (a trace function on its frames), so that no ``except`` keeps it going.
    Elsewhere an asynchronous exception from a watchdog thread, which ends a loop but not a
    sleep or code that catches every exception.
    """

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.active = False
        self.fired = False
        self.previous = None
        self.traced: list | None = None   # (frame, its f_trace) of the student's frames
        self.tracer = None                # the thread's trace function before
        self.watchdog: threading.Thread | None = None
        self.done = threading.Event()
        self.target = threading.get_ident()
        self.use_signal = hasattr(signal, "setitimer") \
            and threading.current_thread() is threading.main_thread()

    def _interrupt(self, signum, frame) -> None:
        if not self.active:
            return
        if self.fired and self.traced is None:
            self._trace_student(frame)
        self.fired = True
        raise _Timeout

    def _trace_student(self, frame) -> None:
        self.traced = []
        self.tracer = sys.gettrace()
        while frame is not None and not frame.f_code.co_filename.startswith(_OURS):
            self.traced.append((frame, frame.f_trace))
            frame.f_trace = self._trace
            frame = frame.f_back
        sys.settrace(self._trace)

    def _trace(self, frame, event, arg):
        if self.active and event in ("line", "call") \
                and not frame.f_code.co_filename.startswith(_OURS):
            raise _Timeout
        return self._trace

    def start(self) -> None:
        self.active = True
        if self.use_signal:
            self.previous = signal.signal(signal.SIGALRM, self._interrupt)
            signal.setitimer(signal.ITIMER_REAL, self.timeout, REPEAT)
        else:
            self.watchdog = threading.Thread(target=self._watch, daemon=True)
            self.watchdog.start()

    def _watch(self) -> None:
        if self.done.wait(self.timeout):
            return
        while not self.done.is_set():
            self.fired = True
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.target),
                                                       ctypes.py_object(_Timeout))
            self.done.wait(REPEAT)

    def stop(self) -> None:
        """Idempotent; repeated until it ran through without being interrupted itself."""
        while True:
            try:
                self.active = False
                if self.use_signal:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    if self.previous is not None:
                        signal.signal(signal.SIGALRM, self.previous)
                        self.previous = None
                    if self.traced is not None:
                        sys.settrace(self.tracer)
                        for frame, trace in self.traced:
                            frame.f_trace = trace
                        self.traced = None
                elif self.watchdog is not None:
                    self.done.set()
                    self.watchdog.join()
                    self.watchdog = None
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.target),
                                                               None)
                return
            except _Timeout:
                continue
