"""What the sandbox takes and gives: :class:`Limits`, :class:`LoadReport`, :class:`CallOutcome`.

Also the two ways the parent turns worker leftovers into text: :func:`clean_output` (what the
student printed) and :func:`describe_exit` (how a worker died).
"""

from __future__ import annotations

import math
import os
import re
import signal
from dataclasses import dataclass, field, fields
from typing import Any

from gradcheck.errors import UsageError
from gradcheck.results import CONTROL

OK = "ok"
ERROR = "error"
NOT_IMPLEMENTED = "not implemented"
MISSING = "missing"
TIMEOUT = "timeout"
CRASHED = "crashed"
INVALID = "invalid"
STATUSES = (OK, ERROR, NOT_IMPLEMENTED, MISSING, TIMEOUT, CRASHED, INVALID)
SUBMISSION_SUFFIXES = (".py", ".ipynb")   # what a submission may be
MAX_TIMEOUT = 3600.0       # seconds: the longest one request (load, call, node) may be given
TIMEOUTS = ("call_timeout", "load_timeout", "start_timeout")   # bounded by MAX_TIMEOUT


def check_timeout(value: Any, what: str = "timeout") -> float:
    """``value`` as the seconds one request may take: a finite number above 0 and at most
    :data:`MAX_TIMEOUT` (an hour); :class:`UsageError` otherwise.

    >>> check_timeout(2)
    2.0
    >>> check_timeout(float("inf"), "--timeout")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gradcheck.errors.UsageError: --timeout must be ... at most 3600, not inf
    """
    try:
        seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        seconds = math.nan
    if isinstance(value, bool) or not 0 < seconds <= MAX_TIMEOUT:   # also nan
        raise UsageError(f"{what} must be a number of seconds above 0 and at most "
                         f"{MAX_TIMEOUT:g}, not {value!r}")
    return seconds


@dataclass(frozen=True)
class Limits:
    """Every limit a worker runs under, with the defaults used when none is given.

    >>> Limits(call_timeout=1.0).memory == 1 << 30
    True
    """

    call_timeout: float = 5.0        # wall clock per call or node, seconds (CPU time as well)
    load_timeout: float = 10.0       # wall clock for loading the submission, seconds
    memory: int = 1 << 30            # address space per process, bytes (RLIMIT_AS)
    file_size: int = 16 << 20        # largest file a worker may write, bytes (RLIMIT_FSIZE)
    open_files: int = 64             # file descriptors per process (RLIMIT_NOFILE)
    processes: int = 64              # processes and threads per worker (pids cgroup)
    output: int = 64 << 10           # bytes of printed output kept per load or call
    result_size: int = 64 << 20      # bytes of arrays a reply may carry
    start_timeout: float = 60.0      # for the zygote to start and import numpy, seconds
    restarts: int = 10               # workers replaced after crashes, per session; then none
    session_timeout: float = 300.0   # seconds one session may spend on its workers in all

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if (not isinstance(value, (int, float)) or isinstance(value, bool)
                    or not 0 < value < math.inf):
                raise UsageError(f"Limits.{f.name} must be a positive number, not {value!r}")
            if f.name in TIMEOUTS:
                check_timeout(value, f"Limits.{f.name}")


@dataclass(frozen=True)
class LoadReport:
    """How loading a submission went.

    ``defs`` maps each top-level name to ``{"kind": "function" | "class" | "other",
    "line": int | None, "params": [...] | None}``, plus ``"cell"`` for notebooks and
    ``"methods"`` for classes. ``warnings`` lists notebook cells that failed (the rest ran).
    ``status`` is "ok", "error", "timeout", "crashed" or "invalid" (a garbled reply: student
    code wrote into the worker's channel); ``line`` is the student's line of the failure when
    known; ``traceback`` holds the student's frames only.
    """

    ok: bool
    error: str = ""
    defs: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    output: str = ""
    duration: float = 0.0
    status: str = OK
    line: int | None = None
    traceback: str = ""


@dataclass(frozen=True)
class CallOutcome:
    """The result of one call into student code.

    ``status`` is one of :data:`STATUSES`. ``value`` is a float64 array (``call`` with
    ``arity=None``), a tuple of arrays (``arity=k``), ``(forward_output, gradients)`` for
    ``node``, and None unless the status is "ok". ``message`` says what went wrong, ``output``
    is what the student printed, ``line`` and ``traceback`` point into the student's code.
    """

    status: str
    value: Any = None
    message: str = ""
    duration: float = 0.0
    output: str = ""
    line: int | None = None
    traceback: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK


_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]")


def clean_output(data: bytes, total: int | None = None) -> str:
    """Printed bytes as safe text: terminal escapes dropped, other control characters escaped.

    ``total`` is how many bytes were printed when ``data`` holds only the first of them.

    >>> clean_output(b"a\\x1b[31mred\\x00\\r\\n", total=100)
    'ared\\\\x00\\n\\n[output truncated: 88 more bytes not shown]'
    """
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    text = CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", _ESCAPES.sub("", text))
    if total is not None and total > len(data):
        text += f"\n[output truncated: {total - len(data)} more bytes not shown]"
    return text


def describe_exit(status: int | None) -> tuple[str, str]:
    """(status, message) for a worker that ended during a request, from its wait status.

    >>> describe_exit(11)
    ('crashed', 'the worker was killed by SIGSEGV (a segmentation fault)')
    >>> describe_exit(0)
    ('crashed', 'os._exit(0) or a C-level exit ended the worker')
    """
    if status is None:
        return CRASHED, "the worker died"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        if name == "SIGXCPU":
            return TIMEOUT, "the CPU time limit was reached (SIGXCPU)"
        notes = {"SIGSEGV": " (a segmentation fault)", "SIGBUS": " (a bus error)",
                 "SIGKILL": " (by the memory or process limit, or from outside)",
                 "SIGABRT": " (abort() was called)", "SIGFPE": " (an arithmetic fault)"}
        return CRASHED, f"the worker was killed by {name}{notes.get(name, '')}"
    if os.WIFEXITED(status):
        code = os.WEXITSTATUS(status)
        return CRASHED, f"os._exit({code}) or a C-level exit ended the worker"
    return CRASHED, f"the worker ended (wait status {status})"
