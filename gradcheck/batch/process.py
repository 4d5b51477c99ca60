"""The grading process of a batch (see :mod:`gradcheck.batch.pool` for the coordinator's side
and the messages): it loads the sheet, draws the test points once, starts its sandbox, and
grades the submissions it is sent one after the other, each in a fresh worker of its sandbox.

It is started as ``python -c`` with only ``--fd FD --parent PID`` on its command line; the
setup (spec, seed, mode, timeout, feedback) arrives as the first message on FD, then (when
the coordinator hands them over) the test points the coordinator drew and checked, so that
no grading process draws or checks them again. While it
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
    """A grading process: ``--fd FD --parent PID``; its first message on FD is the setup
    (``spec``, ``seed``, ``mode``, ``timeout``, ``feedback``, ``handed``), never on the
    command line; with ``handed``, a ``points`` message follows."""
    options = dict(zip(argv[::2], argv[1::2], strict=False))
    from gradcheck.sandbox.child.guard import set_dumpable, set_parent_death_signal

    sys.setswitchinterval(SWITCH_INTERVAL)
    set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != int(options["--parent"]):
        return 1   # the coordinator is already gone
    if os.geteuid() == 0:
        set_dumpable(False)   # its /proc stays hidden from workers (hidepid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)
    conn = Connection(int(options["--fd"]))
    try:
        setup = json.loads(conn.recv_bytes())
    except (EOFError, OSError, ValueError):
        return 0
    if not isinstance(setup, dict) or setup.get("op") != "setup":
        return 2
    options.update({"--spec": setup["spec"], "--seed": str(setup["seed"])})
    if setup.get("mode") is not None:
        options["--mode"] = setup["mode"]
    timeout = setup.get("timeout")
    feedback = bool(setup.get("feedback"))

    def send(message: dict, result: bytes | None = None) -> None:
        conn.send_bytes(json.dumps(message).encode())
        if result is not None:
            conn.send_bytes(result)

    from gradcheck.sandbox import Sandbox

    try:   # the zygote starts while the grader imports and prepares
        with Sandbox(mode=options.get("--mode")) as sandbox:
            from gradcheck.grading import grader
            from gradcheck.spec import load_sheet

            try:
                sheet = load_sheet(options["--spec"])
                prepared = _prepared(conn, grader, sheet, int(options["--seed"]),
                                     bool(setup.get("handed")))
                sandbox.mode   # noqa: B018 - waits for the zygote: SandboxError if it fails
            except GradcheckError as exc:
                send({"op": "fatal", "message": str(exc)})
                return 2
            send({"op": "ready", "spec_sha256": sheet.sha256})
            queue: Queue = Queue()
            opener = ThreadPoolExecutor(1, thread_name_prefix="gradcheck-open")
            Thread(target=_receive, args=(conn, queue, opener, sandbox, sheet), daemon=True,
                   name="gradcheck-tasks").start()
            while (item := queue.get()) is not None:
                send(*_grade(grader, prepared, *item, timeout, feedback))
            return 0
    except (EOFError, OSError, SystemExit):
        return 0   # the coordinator stopped us or went away; the sandbox has cleaned up


def _prepared(conn: Connection, grader, sheet, seed: int, handed: bool):
    """The sheet prepared by the coordinator and handed over (``points`` message: the
    points and what checking them found, see ``PreparedSheet.hand``), or here when it
    hands nothing over."""
    if not handed:
        return grader.prepare(sheet, seed)
    message = json.loads(conn.recv_bytes())
    if message.get("op") != "points":
        raise EOFError   # the coordinator is stopping us
    try:
        return grader.take(sheet, seed, message["checked"], conn.recv_bytes())
    except (ValueError, KeyError, TypeError) as exc:
        raise GradcheckError(f"the coordinator's test points: {exc}") from None


def _receive(conn: Connection, queue: Queue, opener: ThreadPoolExecutor, sandbox, sheet) -> None:
    """Read tasks as they come and start opening each submission at once (worker forked,
    confined, submission loaded) while the main thread grades the one before."""
    while True:
        try:
            message = json.loads(conn.recv_bytes())
        except (EOFError, OSError, ValueError):
            message = {}
        if message.get("op") != "grade":
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
