"""Hostile submissions (tests/hostile/): each attack costs only its own call, nothing escapes.

Every test checks the attacked call's status and reason, that an honest call works afterwards
(on a fresh worker where the old one had to die), and that no process is left running in the
scratch folders once the session is closed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from conftest import hang_guard, processes_in, wait_until

import gradcheck.sandbox as sandbox_module
from gradcheck.sandbox import Limits, Sandbox
from gradcheck.sandbox.cgroups import Cgroups
from gradcheck.sandbox.confine import available_modes

HOSTILE = Path(__file__).resolve().parents[1] / "hostile"
ROOT = Path(__file__).resolve().parents[2]
LIMITS = Limits(call_timeout=0.5, load_timeout=3, memory=512 << 20, file_size=1 << 20,
                result_size=1 << 20, output=4096)
FORBID = ("torch", "jax", "autograd", "sympy", "fractions", "gradcheck")
X = np.array([1.0, 2.0])
HANG_GUARD = 60    # seconds: a test that takes longer hangs somewhere (not a speed goal)
CONFINING_MODES = [m for m in ("bwrap", "landlock") if m in available_modes()]


@pytest.fixture(autouse=True)
def no_hang():
    with hang_guard(HANG_GUARD, "the test"):
        yield


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(limits=LIMITS, forbid=FORBID) as sandbox:
        yield sandbox




@contextmanager
def opened(sandbox: Sandbox, name: str, path: Path | None = None):
    session = sandbox.open(path or HOSTILE / f"{name}.py")
    try:
        yield session
    finally:
        session.close()
        workers = sandbox.scratch
        assert wait_until(lambda: not [p for p in processes_in(workers)
                                       if os.readlink(f"/proc/{p}/cwd") != str(workers)]), \
            f"processes left behind: {processes_in(workers)}"


def line_of(module: str, text: str) -> int:
    """The number of the first line of a hostile module's code that starts with ``text``."""
    lines = (HOSTILE / f"{module}.py").read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if line.strip().startswith(text))


def assert_good(session) -> None:
    outcome = session.call("good", [X])
    assert outcome.status == "ok", outcome
    np.testing.assert_array_equal(outcome.value, 2 * X)


@pytest.mark.parametrize("module", ["loop", "loop_ignoring_signals"])
def test_endless_loops_time_out(sandbox, module):
    with opened(sandbox, module) as session:
        first = session.scratch
        outcome = session.call("spin", [X])
        assert outcome.status == "timeout", outcome
        assert "0.5 s" in outcome.message
        assert not processes_in(first)
        assert_good(session)
        assert session.scratch != first


def test_memory_bombs_are_memory_errors(sandbox):
    with opened(sandbox, "memory_bomb") as session:
        for name in ("huge", "grow"):
            outcome = session.call(name, [X], timeout=20)   # zeroing memory takes a while
            assert outcome.status == "error", outcome
            assert "MemoryError" in outcome.message
            assert outcome.line is not None
            assert_good(session)


@pytest.mark.parametrize("name", ["setsid_child", "daemon", "detached"])
def test_escaping_children_are_killed(sandbox, name):
    with opened(sandbox, "escaping_children") as session:
        scratch = session.scratch
        outcome = session.call(name, [X])
        assert outcome.status == "ok", outcome
        assert (scratch / f"{name}.started").exists()   # the escapee really ran
        assert len(processes_in(scratch)) == 1   # killed when the call ended: only the worker
        assert_good(session)
    assert not processes_in(scratch)


def _pids_cgroup_offered() -> bool:
    cgroups = Cgroups.create()
    if cgroups is None:
        return False
    cgroups.close()
    return "pids" in cgroups.roots


def test_fork_bomb_is_bounded(sandbox):
    with opened(sandbox, "fork_bomb") as session:
        outcome = session.call("bomb", [X])
        assert outcome.status == "ok", outcome
        protections = session.protections
        # the limit this machine offers: a pids cgroup (root, writable hierarchy), else
        # RLIMIT_NPROC (the kernel ignores it for root)
        if _pids_cgroup_offered():
            assert protections["pids_cgroup"], protections
        elif os.geteuid() != 0:
            assert "RLIMIT_NPROC" in protections["rlimits"], protections
        else:
            pytest.skip("root without a writable pids cgroup: no process limit here")
        assert outcome.value <= LIMITS.processes
        assert_good(session)


def test_a_reforking_bomb_at_import_does_not_outlive_the_load(sandbox):
    with opened(sandbox, "refork_bomb") as session:
        assert session.load.ok, session.load
        for _ in range(3):
            left = session.call("count", [X])
            assert left.status == "ok" and left.value in (0.0, -1.0), left  # -1: no cgroup
            outcome = session.call("good", [X])
            assert outcome.status == "ok" and outcome.duration < 1.0, outcome


def test_exits_inside_calls(sandbox):
    with opened(sandbox, "exits") as session:
        soft = session.call("soft_exit", [X])
        assert soft.status == "error" and "sys.exit(0) was called" in soft.message, soft
        assert soft.line == line_of("exits", "sys.exit(0)")
        assert_good(session)
        hard = session.call("hard_exit", [X])
        assert hard.status == "crashed" and "os._exit(0)" in hard.message, hard
        assert_good(session)
        threaded = session.call("exit_in_thread", [X])
        assert threaded.status == "ok", threaded


def test_exit_at_import(sandbox):
    with opened(sandbox, "exit_at_import") as session:
        assert not session.load.ok
        assert session.load.status == "error"
        assert "sys.exit(0) was called at import" in session.load.error
        assert session.load.line == line_of("exit_at_import", "sys.exit(0)")
        outcome = session.call("good", [X])
        assert outcome.status == "error" and "did not load" in outcome.message


def test_segfault(sandbox):
    with opened(sandbox, "segfault") as session:
        outcome = session.call("crash", [X])
        assert outcome.status == "crashed", outcome
        assert "SIGSEGV" in outcome.message
        assert "Segmentation fault" in outcome.output   # faulthandler's report, as text
        assert_good(session)


def test_crash_at_import(sandbox):
    with opened(sandbox, "crash_at_import") as session:
        assert not session.load.ok
        assert session.load.status == "crashed"
        assert "SIGSEGV" in session.load.error


def test_objects_that_break_introspection_and_stray_interrupts(sandbox):
    with opened(sandbox, "tricky_objects") as session:
        assert session.load.ok, session.load
        assert session.load.defs["SLIPPERY"]["kind"] == "other"
        assert session.load.defs["interrupt"]["kind"] == "function"
        outcome = session.call("interrupt", [X])
        assert outcome.status in ("ok", "error"), outcome
        if outcome.status == "error":
            assert "KeyboardInterrupt" in outcome.message
        assert_good(session)


def test_fake_results_and_ci_commands_are_just_text(sandbox):
    with opened(sandbox, "fake_output") as session:
        assert '"status": "pass"' in session.load.output
        outcome = session.call("wrong", [X])
        assert outcome.status == "ok"
        np.testing.assert_array_equal(outcome.value, 3 * X)
        for text in ("Total: 100/100", "::notice title=grade::", "::error file=grader.py",
                     "::stop-commands::deadbeef", "PASS", "\\x00", "\\x07"):
            assert text in outcome.output
        assert "\x1b" not in outcome.output and "\x00" not in outcome.output


def test_monkeypatched_numpy_changes_nothing(sandbox):
    with opened(sandbox, "monkeypatch_numpy") as session:
        outcome = session.call("wrong", [X])
        np.testing.assert_array_equal(outcome.value, 3 * X)
        assert not np.allclose(outcome.value, 2 * X)


def test_rigged_ndarray_subclass_arrives_as_plain_numbers(sandbox):
    with opened(sandbox, "rigged_array") as session:
        outcome = session.call("rigged", [X])
        assert outcome.status == "ok", outcome
        assert type(outcome.value) is np.ndarray
        np.testing.assert_array_equal(outcome.value, 2 * X + 1)
        assert not (outcome.value == 2.0).all()
        complex_outcome = session.call("rigged_complex", [X])
        assert complex_outcome.status == "invalid", complex_outcome
        assert "complex" in complex_outcome.message


@pytest.mark.parametrize(("name", "arity", "status", "words"), [
    ("nan", None, "ok", ""),
    ("none", None, "invalid", "returned None"),
    ("text", None, "invalid", "returned a str"),
    ("ragged", None, "invalid", "ragged"),
    ("complex_number", None, "invalid", "complex"),
    ("objects", None, "invalid", "holding None"),
    ("pair", 2, "invalid", "3 results; expected 2"),
    ("huge_result", None, "invalid", "too large"),
])
def test_results_that_are_not_numbers(sandbox, name, arity, status, words):
    with opened(sandbox, "bad_returns") as session:
        outcome = session.call(name, [X], arity=arity)
        assert outcome.status == status, outcome
        assert words in outcome.message
        if name == "nan":
            assert np.isnan(outcome.value)
        assert_good(session)


def test_forbidden_import_at_top(sandbox):
    with opened(sandbox, "forbidden_top") as session:
        assert not session.load.ok
        assert "importing 'torch' is not allowed on this sheet" in session.load.error
        assert session.load.line == line_of("forbidden_top", "import torch")


@pytest.mark.parametrize("name", ["plain", "via_importlib", "via_dunder", "unhooked"])
def test_forbidden_import_inside_functions(sandbox, name):
    with opened(sandbox, "forbidden_inside") as session:
        outcome = session.call(name, [X])
        assert outcome.status == "error", outcome
        assert "importing 'fractions' is not allowed on this sheet" in outcome.message


def test_secrets_are_not_in_the_environment(monkeypatch):
    for name in ("GITHUB_TOKEN", "FOO_SECRET", "AWS_SECRET_ACCESS_KEY", "NPM_KEY"):
        monkeypatch.setenv(name, "hunter2")
    with Sandbox(limits=LIMITS) as sandbox, opened(sandbox, "secrets_env") as session:
        outcome = session.call("secrets", [X])
        assert outcome.status == "ok", outcome
        assert float(outcome.value) == 0.0, outcome.output
        assert "hunter2" not in outcome.output and "PATH" in outcome.output


def test_writes_into_the_protocol_socket(sandbox):
    with opened(sandbox, "protocol_scribble") as session:
        forged = session.call("forge", [X])
        assert forged.status == "invalid" and "too large" in forged.message, forged
        assert_good(session)
        garbage = session.call("garbage", [X])
        assert garbage.status == "invalid" and "garbled" in garbage.message, garbage
        assert_good(session)


def test_output_flood_is_truncated(sandbox):
    with opened(sandbox, "output_flood") as session:
        outcome = session.call("flood", [X])
        assert outcome.status in ("ok", "error"), outcome
        assert len(outcome.output) < LIMITS.output + 200
        assert "[output truncated" in outcome.output
        assert_good(session)


NO_CONFINEMENT = pytest.param("none", marks=pytest.mark.skip(
    reason="neither bubblewrap nor Landlock on this machine"))


@pytest.fixture(scope="module", params=CONFINING_MODES or [NO_CONFINEMENT])
def confined(request):
    with Sandbox(limits=LIMITS, mode=request.param) as sandbox:
        yield sandbox


def test_writes_outside_scratch_fail(confined, tmp_path):
    submission_folder = tmp_path / "submission"
    grader_output = tmp_path / "grader-output"
    submission_folder.mkdir()
    grader_output.mkdir()
    targets = [submission_folder / "planted.py", grader_output / "grades.csv",
               Path(confined.scratch) / "planted.txt"]
    source = (HOSTILE / "writes.py").read_text() + f"\nTARGETS = {[str(t) for t in targets]!r}\n"
    path = submission_folder / "writes.py"
    path.write_text(source)
    with opened(confined, "writes", path) as session:
        outcome = session.call("scribble", [X])
        assert outcome.status == "ok", outcome
        if session.protections.get("landlock"):
            assert float(outcome.value) == 0.0
        assert not any(t.exists() for t in targets)
        assert sorted(p.name for p in submission_folder.iterdir()) == ["writes.py"]
        assert not list(grader_output.iterdir())
        assert not list(confined.scratch.glob("**/escaped.txt"))
        inside = session.call("write_scratch", [X])
        assert inside.status == "ok" and (session.scratch / "notes.txt").exists()


@pytest.mark.skipif("bwrap" not in available_modes(), reason="bubblewrap does not work here")
def test_bwrap_alone_keeps_writes_in_the_sandbox(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox_module, "landlock_abi", lambda: 0)   # no Landlock inside
    outside = tmp_path / "grader-output"
    outside.mkdir()
    targets = [outside / "grades.csv", tmp_path / "planted.py", Path("/planted.txt"),
               Path(sys.prefix) / "planted.txt"]
    path = tmp_path / "writes.py"
    source = (HOSTILE / "writes.py").read_text()
    path.write_text(source + f"\nTARGETS = {[str(t) for t in targets]!r}\n")
    with Sandbox(limits=LIMITS, mode="bwrap") as sandbox, opened(sandbox, "writes", path) as s:
        assert s.protections["landlock"] == 0
        outcome = s.call("scribble", [X])
        assert outcome.status == "ok", outcome
        assert not any(t.exists() for t in targets)
        # only the two "../" writes succeed, and only inside the sandbox's private folder
        assert float(outcome.value) == 2.0
        assert len(list(sandbox.scratch.glob("**/escaped.txt"))) == 2


def test_network_is_refused(confined):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = np.array(float(listener.getsockname()[1]))
        with opened(confined, "network") as session:
            for name in ("connect", "udp", "unix_socket"):
                outcome = session.call(name, [port])
                assert outcome.status == "ok", outcome
                assert float(outcome.value) == -1.0, name


GRADER = """
import sys, time
from pathlib import Path
import numpy as np
import gradcheck.sandbox as sandbox_module
from gradcheck.sandbox import Limits, Sandbox

sandbox = Sandbox(limits=Limits(call_timeout=60), mode=sys.argv[2])
session = sandbox.open(Path(sys.argv[1]))
session.call("setsid_child", [np.array(1.0)])
print(sandbox.scratch, flush=True)
session.call("spin", [np.array(1.0)])
"""


@pytest.mark.parametrize("mode", available_modes())
def test_a_killed_grader_leaves_nothing_running(tmp_path, mode):
    submission = tmp_path / "sheet01.py"
    submission.write_text((HOSTILE / "escaping_children.py").read_text()
                          + (HOSTILE / "loop.py").read_text().split('"""', 2)[2])
    grader = subprocess.Popen([sys.executable, "-c", GRADER, str(submission), mode],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    scratch = Path(grader.stdout.readline().strip())
    assert len(processes_in(scratch)) >= 2   # the worker (spinning) and its setsid child
    grader.kill()
    grader.wait()
    assert wait_until(lambda: not processes_in(scratch)), processes_in(scratch)
    if mode != "bwrap":   # the orphaned zygote removes it (bwrap kills the zygote outright)
        assert wait_until(lambda: not scratch.exists())
    with Sandbox(mode=mode) as sandbox:   # a later sandbox removes what a killed grader left
        assert sandbox.mode == mode
    assert not scratch.exists()
