"""Hostile submissions (tests/hostile/) that go for the sandbox itself: past the import hooks,
into the protocol, through signals, threads and the memory of several processes, and through
crashes that cost a reload each."""

from __future__ import annotations

import errno
import os
import re
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from conftest import hang_guard, processes_in, wait_until

import gradcheck.sandbox as sandbox_module
from gradcheck.sandbox import Limits, Sandbox
from gradcheck.sandbox.cgroups import Cgroups
from gradcheck.sandbox.child.protocol import Channel, ProtocolError, decode_header
from gradcheck.sandbox.confine import available_modes, forbidden_paths

HOSTILE = Path(__file__).resolve().parents[1] / "hostile"
ROOT = Path(__file__).resolve().parents[2]
LIMITS = Limits(call_timeout=0.5, load_timeout=3, memory=512 << 20, file_size=1 << 20,
                result_size=1 << 20, output=4096)
FORBID = ("torch", "sympy", "fractions", "gradcheck")
X = np.array([1.0, 2.0])
MODES = available_modes()


@pytest.fixture(autouse=True)
def no_hang():
    with hang_guard(60, "the test"):
        yield


@pytest.fixture(scope="module", params=MODES)
def sandbox(request):
    with Sandbox(limits=LIMITS, forbid=FORBID, mode=request.param) as sandbox:
        yield sandbox


def hostile(tmp_path: Path, name: str, **values: str) -> Path:
    """A copy of a hostile module with some of its constants replaced."""
    text = (HOSTILE / f"{name}.py").read_text()
    for key, value in values.items():
        text = re.sub(rf"^{key} = .*$", f"{key} = {value!r}", text, flags=re.MULTILINE)
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    return path


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
                state = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()[0]
            except OSError:
                continue
            if marker.encode() in cmdline and state != "Z":
                found.append(int(entry))
    return found



# -- forbidden packages -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["python_import", "by_path", "read_source", "grader_engine"])
def test_forbidden_packages_stay_out_of_reach_without_the_hooks(sandbox, tmp_path, name):
    path = hostile(tmp_path, "forbidden_bypass", ROOT=str(ROOT))
    with sandbox.open(path) as session:
        outcome = session.call(name, [X])
        assert outcome.status == "error", (sandbox.mode, outcome)
        package = "gradcheck" if name == "grader_engine" else "fractions"
        assert f"importing '{package}' is not allowed on this sheet" in outcome.message, \
            (sandbox.mode, outcome.message)
        assert session.call("good", [X]).status == "ok"


def test_the_forbidden_packages_are_found_where_they_lie():
    hidden = {name: path for path, name in forbidden_paths(FORBID)}
    assert hidden["gradcheck"] == str(ROOT / "gradcheck")
    assert hidden["fractions"].endswith("fractions.py") and "torch" not in hidden


# -- the protocol ------------------------------------------------------------------------------

def test_a_header_nested_too_deep_is_a_garbled_reply(tmp_path):
    with pytest.raises(ProtocolError, match="RecursionError"):
        decode_header(b"[" * 200000 + b"]" * 200000)
    with Sandbox(limits=LIMITS) as sandbox, sandbox.open(HOSTILE / "protocol_scribble.py") as s:
        outcome = s.call("deep", [X])
        assert outcome.status == "invalid" and "garbled" in outcome.message, outcome
        assert s.call("good", [X]).status == "ok"


def test_lone_surrogates_from_the_worker_arrive_escaped(tmp_path):
    assert decode_header(b'{"m": ["a\\ud800b", {"\\udfff": 1}]}') == \
        {"m": ["a\\ud800b", {"\\udfff": 1}]}
    assert decode_header(b'{"m": "\xed\xa0\x80"}') == {"m": "\\ud800"}
    path = tmp_path / "surrogate.py"
    path.write_text('def bad(x):\n    raise ValueError("bad \\ud800 value")\n')
    with Sandbox(limits=LIMITS) as sandbox, sandbox.open(path) as session:
        outcome = session.call("bad", [X])
        assert outcome.status == "error" and "bad \\ud800 value" in outcome.message
        outcome.message.encode("utf-8")
        outcome.traceback.encode("utf-8")


@pytest.mark.parametrize("shape", ["list", "kind", "line", "params"])
def test_a_forged_load_reply_is_garbled(tmp_path, shape):
    path = hostile(tmp_path, "forged_load", WHICH=shape)
    with Sandbox(limits=LIMITS) as sandbox, sandbox.open(path) as session:
        assert not session.load.ok and session.load.status == "invalid", session.load
        assert "garbled" in session.load.error
        assert session.call("good", [X]).status == "error"


def test_channel_refuses_what_is_not_a_header():
    import socket

    ours, theirs = socket.socketpair()
    with ours, theirs:
        header = b"\xff[[[["
        theirs.sendall(b"GCW1" + len(header).to_bytes(4, "little") + bytes(8) + header)
        with pytest.raises(ProtocolError):
            Channel(ours).receive(max_payload=0, deadline=time.monotonic() + 5)


# -- crashes, reloads, the session's time ----------------------------------------------------

def test_restarts_after_crashes_are_capped():
    limits = Limits(call_timeout=1, load_timeout=3, restarts=2)
    with Sandbox(limits=limits) as sandbox, sandbox.open(HOSTILE / "crashes.py") as session:
        outcomes = [session.call("die", [X]) for _ in range(4)]
        assert [o.status for o in outcomes] == ["crashed"] * 4
        assert "os._exit(0)" in outcomes[0].message and "os._exit(0)" in outcomes[1].message
        for later in outcomes[2:]:
            assert "crashed the worker 2 times; it is not restarted again" in later.message
        assert session.call("good", [X]).status == "crashed"   # no worker any more


def test_a_reload_gets_a_shorter_timeout(tmp_path):
    with Sandbox(limits=LIMITS, mode="none") as sandbox:
        with sandbox.open(hostile(tmp_path, "slower_reload")) as session:
            assert session.load.ok and session.load.duration < 0.25
            assert session.call("die", [X]).status == "crashed"
            started = time.monotonic()
            again = session.call("die", [X])
            assert again.status == "crashed" and "did not load again" in again.message
            assert "within 0.5 s" in again.message, again.message   # not load_timeout (3 s)
            assert time.monotonic() - started < 2.5


def test_a_session_has_a_time_budget():
    limits = Limits(call_timeout=0.4, load_timeout=3, session_timeout=1.5)
    with Sandbox(limits=limits) as sandbox, sandbox.open(HOSTILE / "loop.py") as session:
        outcomes = [session.call("spin", [X]) for _ in range(6)]
        assert all(o.status == "timeout" for o in outcomes)
        assert "within 0.4 s" in outcomes[0].message
        assert "used up its 1.5 s of time in all" in outcomes[-1].message
        assert session.time_left <= 0


# -- signals, orphans, threads, memory -------------------------------------------------------

def test_signals_cannot_leave_the_worker(sandbox):
    with sandbox.open(HOSTILE / "signals.py") as session:
        assert session.protections["seccomp"]
        one = [np.array(1.0)]
        assert float(session.call("everyone", one).value) == errno.EPERM
        assert float(session.call("zygote", one).value) == errno.EPERM
        assert float(session.call("own_group", one).value) == 0.0
        if sandbox.mode != "bwrap":   # (under bwrap they are outside its pid namespace)
            zygote = sandbox._zygote.result().info["pid"]
            with open(f"/proc/{zygote}/stat") as f:
                keeper = int(f.read().rpartition(")")[2].split()[1])
            pids = np.array([keeper, os.getpid(), os.getppid()], dtype=float)
            assert float(session.call("keeper_and_grader", [pids]).value) == 111 * errno.EPERM
    assert sandbox._zygote.result().alive



@pytest.mark.parametrize("mode", [m for m in MODES if m != "bwrap"])
def test_orphans_of_a_dead_zygote_are_killed(mode, monkeypatch):
    """Outside bubblewrap a keeper process stays between grader and zygote: when the zygote
    dies mid-call, the worker dies with it and the keeper kills what the worker started."""
    monkeypatch.setattr(sandbox_module.Cgroups, "create", classmethod(lambda cls: None))
    with Sandbox(limits=Limits(call_timeout=30), mode=mode) as sandbox:
        with sandbox.open(HOSTILE / "orphan_maker.py") as session:
            scratch = session.scratch
            with ThreadPoolExecutor(1) as pool:
                call = pool.submit(session.call, "hold", [X])
                assert wait_until(lambda: (scratch / "child.started").exists())
                assert len(processes_in(scratch)) == 2   # the worker and its setsid child
                os.kill(sandbox._zygote.result().info["pid"], signal.SIGKILL)
                assert call.result().status == "crashed"
            assert wait_until(lambda: not processes_in(scratch)), processes_in(scratch)


def test_children_of_other_threads_end_with_the_call(sandbox, tmp_path):
    marker = f"gradcheck-thread-{uuid.uuid4().hex}"
    with sandbox.open(hostile(tmp_path, "thread_children", MARKER=marker)) as session:
        for _ in range(2):
            outcome = session.call("spawn_in_thread", [X])
            assert outcome.status == "ok", outcome
            assert processes_with(marker) == []


def test_the_memory_cap_holds_for_all_processes_together():
    if Cgroups.create() is None:
        pytest.skip("no writable memory cgroup here")
    with Sandbox(limits=LIMITS) as sandbox:
        with sandbox.open(HOSTILE / "memory_children.py") as session:
            assert session.protections["memory_cgroup"]
            outcome = session.call("together", [np.array(1.0)], timeout=30)
            assert outcome.status == "crashed" or float(outcome.value) < 4, outcome


def test_the_process_limit_of_a_non_root_grader_is_counted_once(monkeypatch):
    counted = []
    monkeypatch.setattr(sandbox_module, "user_thread_count",
                        lambda uid: counted.append(uid) or 10)
    monkeypatch.setattr(sandbox_module.os, "geteuid", lambda: 1000)
    with Sandbox(limits=LIMITS) as sandbox:
        for _ in range(3):
            with sandbox.open(HOSTILE / "loop.py") as session:
                assert session.load.ok
    assert len(counted) == 1
    assert sandbox._nproc == 10 + LIMITS.processes


@pytest.mark.skipif("bwrap" not in MODES, reason="bubblewrap does not work here")
def test_bwrap_without_landlock_covers_forbidden_packages_in_its_view(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox_module, "landlock_abi", lambda: 0)   # a kernel without it
    path = hostile(tmp_path, "forbidden_bypass", ROOT=str(ROOT))
    with Sandbox(limits=LIMITS, mode="bwrap") as sandbox:   # started before the list is known
        with sandbox.open(path, forbid=()) as free:
            assert float(free.call("source_is_a_file", [np.array(1.0)]).value) == 1.0
        with sandbox.open(path, forbid=("fractions",)) as session:
            assert session.protections["landlock"] == 0
            assert float(session.call("source_is_a_file", [np.array(1.0)]).value) == 0.0
            outcome = session.call("by_path", [X])
            assert outcome.status == "error" and "'fractions' is not allowed" in outcome.message
        assert len(sandbox._retired) == 1   # a zygote with the package in view was replaced
