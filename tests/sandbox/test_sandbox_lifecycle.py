"""A sandbox's own life: a worker replaced after a timeout or a killed zygote, sessions in
parallel threads, closing, modes, and the limits it accepts."""

from __future__ import annotations

import os
import signal
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from gradcheck.errors import SandboxError, UsageError
from gradcheck.sandbox import Sandbox
from gradcheck.sandbox.confine import available_modes
from gradcheck.sandbox.limits import Limits


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_timeout_then_a_fresh_worker(tmp_path):
    path = write(tmp_path, "sheet01.py", """\
        import time
        STATE = []

        def slow(x):
            STATE.append(1)
            time.sleep(10)

        def count(x):
            STATE.append(1)
            return float(len(STATE))
        """)
    with Sandbox(limits=Limits(call_timeout=0.3)) as sandbox, sandbox.open(path) as session:
        assert session.call("count", [np.array(0.0)]).value == 1.0
        outcome = session.call("slow", [np.array(0.0)])
        assert outcome.status == "timeout" and "0.3 s" in outcome.message
        assert session.call("count", [np.array(0.0)]).value == 1.0   # reloaded: fresh state
        assert session.call("slow", [np.array(0.0)], timeout=0.1).message.endswith("0.1 s")


def test_sessions_in_parallel_threads(tmp_path):
    path = write(tmp_path, "sheet01.py", "def triple(x):\n    return 3 * x\n")
    results: dict[int, list[float]] = {}

    def grade(index: int) -> None:
        with sandbox.open(path) as session:
            results[index] = [float(session.call("triple", [np.array(float(i))]).value)
                              for i in range(20)]

    with Sandbox() as sandbox:
        threads = [threading.Thread(target=grade, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == {i: [3.0 * k for k in range(20)] for i in range(4)}


def test_a_killed_zygote_is_replaced(tmp_path):
    path = write(tmp_path, "sheet01.py", "def one(x):\n    return 1.0\n")
    with Sandbox() as sandbox:
        with sandbox.open(path) as session:
            assert session.call("one", [np.array(0.0)]).status == "ok"
            worker = session._worker.host_pid
            zygote = sandbox._zygote.result().process
            os.killpg(zygote.pid, signal.SIGKILL)
            zygote.wait()
            for _ in range(500):   # the worker dies with its zygote (parent-death signal)
                if not os.path.exists(f"/proc/{worker}"):
                    break
                time.sleep(0.01)
            assert not os.path.exists(f"/proc/{worker}")
            # found dead between calls: replaced (with a new zygote) before the next call
            assert session.call("one", [np.array(0.0)]).status == "ok"
            assert sandbox._zygote.result().process.pid != zygote.pid
        with sandbox.open(path) as session:
            assert session.call("one", [np.array(0.0)]).value == 1.0


def test_closed_sessions_and_sandboxes_refuse_work(tmp_path):
    path = write(tmp_path, "sheet01.py", "def one(x):\n    return 1.0\n")
    sandbox = Sandbox()
    session = sandbox.open(path)
    sandbox.close()
    with pytest.raises(SandboxError):
        session.call("one", [np.array(0.0)])
    with pytest.raises(SandboxError):
        sandbox.open(path)
    sandbox.close()   # idempotent


def test_modes(tmp_path):
    path = write(tmp_path, "sheet01.py", "def one(x):\n    return 1.0\n")
    with pytest.raises(SandboxError, match="unknown sandbox mode"):
        Sandbox(mode="docker")
    for mode in available_modes():
        with Sandbox(mode=mode) as sandbox, sandbox.open(path) as session:
            assert sandbox.mode == mode
            assert session.protections["mode"] == mode
            assert session.call("one", [np.array(0.0)]).value == 1.0


def test_mode_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GRADCHECK_SANDBOX", "none")
    with Sandbox() as sandbox:
        assert sandbox.mode == "none"
    monkeypatch.setenv("GRADCHECK_SANDBOX", "chroot")
    with pytest.raises(SandboxError, match="unknown sandbox mode 'chroot'"):
        Sandbox()


def test_limits_are_validated():
    assert Limits().call_timeout == 5.0 and Limits().memory == 1 << 30
    with pytest.raises(UsageError, match="memory"):
        Limits(memory=0)
