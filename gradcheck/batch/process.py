"""The grading process of a batch (see :mod:`gradcheck.batch.pool` for the coordinator's side
and the messages): it loads the sheet, draws the test points once, starts its sandbox, and
grades the submissions it is sent one after the other, each in a fresh worker of its sandbox.

It is forked from the coordinator (:func:`serve`, with the coordinator's loaded sheet) or,
where it cannot be, started as ``python -c`` with only ``--fd FD --parent PID`` on its
command line (:func:`main`); either way the setup (spec, seed, mode, timeout, feedback)
arrives as the first message on the socket, then (when the coordinator hands them over) the
test points the coordinator drew and checked, so that no grading process draws or checks
them again. While it
grades one submission, a helper thread already opens the next (worker forked, confined,
submission loaded).
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from queue import Queue
from threading import Thread

from gradcheck.errors import GradcheckError
from gradcheck.results.jsondata import strict_json

# The helper thread that opens the next submission waits on sockets and the zygote; each time
# it wakes it needs the GIL from the grading thread, which holds it for up to this long.
SWITCH_INTERVAL = 0.0005   # seconds (Python's default is 0.005)


def _stop(_signum, _frame) -> None:
    raise SystemExit(0)


def main(argv: Sequence[str]) -> int:
    """A grading process started afresh: ``--fd FD --parent PID`` (see :func:`serve`)."""
    options = dict(zip(argv[::2], argv[1::2], strict=False))
    return serve(Connection(int(options["--fd"])), int(options["--parent"]))


def serve(conn: Connection, parent: int, sheet=None) -> int:
    """Grade what the coordinator (process ``parent``) sends on ``conn`` until it says quit;
    the exit status. The first message is the setup (``spec``, ``seed``, ``mode``,
    ``timeout``, ``feedback``, ``handed``), never on the command line; with ``handed``, a
    ``points`` message follows. ``sheet``: the spec already loaded (a forked process has
    the coordinator's), else it is loaded from the setup's ``spec``."""
    from gradcheck.sandbox.child.guard import set_dumpable, set_parent_death_signal

    sys.setswitchinterval(SWITCH_INTERVAL)
    set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent:
        return 1   # the coordinator is already gone
    if os.geteuid() == 0:
        set_dumpable(False)   # its /proc stays hidden from workers (hidepid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)
    try:
        setup = json.loads(conn.recv_bytes())
    except (EOFError, OSError, ValueError):
        return 0
    if not isinstance(setup, dict) or setup.get("op") != "setup":
        return 2
    timeout = setup.get("timeout")
    feedback = bool(setup.get("feedback"))

    def send(message: dict, result: bytes | None = None) -> None:
        conn.send_bytes(json.dumps(message).encode())
        if result is not None:
            conn.send_bytes(result)

    keep_to_cpu(setup.get("cpu"))
    from gradcheck.sandbox import Sandbox

    try:   # the zygote starts while the grader imports and prepares
        with Sandbox(mode=setup.get("mode")) as sandbox:
            from gradcheck.grading import grader
            from gradcheck.spec import load_sheet

            try:
                sheet = sheet if sheet is not None else load_sheet(setup["spec"])
            except GradcheckError as exc:
                send({"op": "fatal", "message": str(exc)})
                return 2
            # tasks may come before the points: their workers open while the coordinator
            # still draws and checks the points
            queue: Queue = Queue()
            points: Future = Future()
            opener = ThreadPoolExecutor(1, thread_name_prefix="gradcheck-open")
            Thread(target=_receive, args=(conn, queue, points, opener, sandbox, sheet),
                   daemon=True, name="gradcheck-tasks").start()
            try:
                prepared = _prepared(points, grader, sheet, int(setup["seed"]),
                                     bool(setup.get("handed")))
                sandbox.mode   # noqa: B018 - waits for the zygote: SandboxError if it fails
            except GradcheckError as exc:
                send({"op": "fatal", "message": str(exc)})
                return 2
            send({"op": "ready", "spec_sha256": sheet.sha256})
            while (item := queue.get()) is not None:
                send(*_grade(grader, prepared, *item, timeout, feedback))
            return 0
    except (EOFError, OSError, SystemExit):
        return 0   # the coordinator stopped us or went away; the sandbox has cleaned up


def keep_to_cpu(cpu) -> bool:
    """Run this process, and every process it starts from now on (the sandbox's zygote and
    workers), on CPU ``cpu`` only; False when ``cpu`` is None or that cannot be done."""
    if type(cpu) is not int or not hasattr(os, "sched_setaffinity"):
        return False
    try:
        os.sched_setaffinity(0, {cpu})
    except (OSError, ValueError):
        return False
    return True


def _prepared(points: Future, grader, sheet, seed: int, handed: bool):
    """The sheet prepared by the coordinator and handed over (``points``: what the
    ``points`` message brought, see ``PreparedSheet.hand``), or here when it hands nothing
    over. EOFError when the coordinator stopped before it handed them over."""
    if not handed:
        return grader.prepare(sheet, seed)
    checked, data = points.result()
    try:
        return grader.take(sheet, seed, checked, data)
    except (ValueError, KeyError, TypeError) as exc:
        raise GradcheckError(f"the coordinator's test points: {exc}") from None


def _receive(conn: Connection, queue: Queue, points: Future, opener: ThreadPoolExecutor,
             sandbox, sheet) -> None:
    """Read messages as they come: the points (into ``points``), and tasks, each starting to
    open at once (worker forked, confined, submission loaded) while the main thread grades
    the one before or waits for the points. Anything else, or the end, stops both."""
    while True:
        try:
            message = json.loads(conn.recv_bytes())
            if message.get("op") == "points":
                points.set_result((message.get("checked"), conn.recv_bytes()))
                continue
        except (EOFError, OSError, ValueError, AttributeError):
            message = {}
        if message.get("op") != "grade":
            if not points.done():
                points.set_exception(EOFError("the coordinator stopped"))
            queue.put(None)
            return
        future = opener.submit(sandbox.open, Path(message["path"]), module=sheet.module,
                               forbid=sheet.forbid)
        queue.put((message, future))


def _grade(grader, prepared, message: dict, opening: Future, timeout: float | None,
           feedback: bool) -> tuple[dict, bytes | None]:
    task = message["task"]
    try:
        result = grader.grade(prepared, Path(message["path"]), timeout=timeout,
                              session=opening)
    except GradcheckError as exc:
        return {"op": "failed", "task": task, "message": str(exc)}, None
    except Exception as exc:  # noqa: BLE001 - a grader bug costs this submission, not the batch
        return {"op": "failed", "task": task,
                "message": f"internal error: {type(exc).__name__}: {exc}"}, None
    result = dataclasses.replace(result, submission=message["relative"])
    data = result.to_dict()
    lite = {**data, "output": "", "exercises": [{**e, "checks": [], "output": ""}
                                                for e in data["exercises"]]}
    text = None
    if feedback:   # a renderer that fails costs this feedback file, never the row
        from gradcheck.render.batch import unrendered_feedback
        from gradcheck.render.markdown import to_markdown

        try:
            text = to_markdown(result)
        except Exception as exc:  # noqa: BLE001
            text = unrendered_feedback(result, exc)
    return ({"op": "done", "task": task, "lite": lite, "feedback": text},
            strict_json(data, separators=(",", ":")).encode())
