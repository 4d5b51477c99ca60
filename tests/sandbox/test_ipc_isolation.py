"""State that outlives a worker: System V shared memory, message queues and semaphores, user
keyring keys and POSIX message queues made through ctypes (tests/hostile/ipc_channels.py)
reach no other worker, leave nothing on the machine, and carry nothing between two students
of a batch."""

from __future__ import annotations

import csv
import io
import os
import platform
import random
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from gradcheck.cli import main
from gradcheck.sandbox import Sandbox
from gradcheck.sandbox.confine import available_modes

HOSTILE = Path(__file__).resolve().parents[1] / "hostile"
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.machine() not in ("x86_64", "aarch64"),
    reason="the attack uses Linux system call numbers")

sys.path.insert(0, str(HOSTILE))
import ipc_channels  # noqa: E402  - the same calls, made from the test's own process

sys.path.remove(str(HOSTILE))


def _token() -> int:
    return random.randrange(10**5, 10**6)


@pytest.mark.parametrize("mode", available_modes())
def test_nothing_passes_from_one_worker_to_the_next(tmp_path, mode):
    token = _token()
    path = tmp_path / "ipc_channels.py"
    path.write_text((HOSTILE / "ipc_channels.py").read_text())
    with Sandbox(mode=mode) as sandbox:
        with sandbox.open(path) as first:
            own = first.protections["ipc_namespace"]
            stored = first.call("stash", [np.array(float(token))])
            assert stored.status == "ok", stored.message
            assert "'add_key': 'Operation not permitted'" in stored.output   # always refused
            if own:   # its own namespace: System V IPC works, and it reads its own state back
                assert stored.value >= 5.0, stored.output   # (mq_open: Landlock may refuse)
                again = first.call("peek", [np.array(float(token))])
                assert again.value >= 3.0, again.output     # shm, msg, sem (+ mq)
            else:        # seccomp: none of them works
                assert stored.value == 0.0, stored.output
        with sandbox.open(path) as second:
            found = second.call("peek", [np.array(float(token))])
            assert found.status == "ok" and found.value == 0.0, found.output
    assert ipc_channels.find(token) == {}    # nothing was left on the machine either


def test_workers_get_their_own_ipc_namespace_as_root():
    if os.geteuid() != 0:
        pytest.skip("as root the worker can always make an IPC namespace")
    with Sandbox(mode="none") as sandbox, sandbox.open(HOSTILE / "ipc_channels.py") as s:
        assert s.protections["ipc_namespace"] is True
        assert s.protections["seccomp"] is True


def test_two_students_of_a_batch_cannot_talk(tmp_path):
    solution = (ROOT / "solutions" / "sheet01.py").read_text()
    attack = (HOSTILE / "ipc_channels.py").read_text()
    folder = tmp_path / "submissions"
    for student, tail in (("ann", "\nleave(424242)\n"), ("ben", "")):
        (folder / student).mkdir(parents=True)
        (folder / student / "sheet01.py").write_text(solution + "\n\n" + attack + tail)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["batch", "sheet01", str(folder), "-o",
                                       str(out / "grades.csv"), "--jobs", "1", "--timeout",
                                       "2", "--seed", "7", "--feedback", str(out / "fb")])
    assert result.exit_code == 0, result.output
    rows = {r[0]: r for r in csv.reader(io.StringIO((out / "grades.csv").read_text()))}
    assert rows["ann"][1:3] == rows["ben"][1:3]      # the same score: 1c wrong for both
    ben = (out / "fb" / "ben.md").read_text()
    assert "found" not in ben and "RuntimeError" not in ben, ben
    assert ipc_channels.find(424242) == {}


AS_NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")


def _skip_unless_nobody_runs_python() -> None:
    """Root becomes ``nobody`` with setpriv; skip where that user cannot start this interpreter
    or read the worker's modules (a Python whose shared library nobody may read, a checkout
    in a folder closed to others)."""
    import shutil

    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root to become another user (setpriv)")
    probe = _run("import guard, ipc_channels", *AS_NOBODY)
    if probe.returncode != 0:
        pytest.skip(f"nobody cannot run this interpreter and the worker's modules here: "
                    f"{probe.stderr.strip()[-200:]}")


def _run(code: str, *prefix: str):
    import subprocess

    child = ROOT / "gradcheck" / "sandbox" / "child"
    script = f"import sys; sys.path[:0] = [{str(child)!r}, {str(HOSTILE)!r}]\n" + code
    return subprocess.run([*prefix, sys.executable, "-c", script], capture_output=True,
                          text=True, timeout=60)


def test_seccomp_refuses_every_channel_where_there_is_no_namespace():
    token = _token()
    run = _run("import guard, ipc_channels as m\n"
               "assert guard.install_seccomp((), 0, shared_ipc=True)\n"
               f"print(m.leave({token})); print(m.find({token}))\n")
    assert run.returncode == 0, run.stderr
    done, found = run.stdout.splitlines()
    assert "ok" not in done and done.count("Operation not permitted") == 5, done
    assert found == "{}"
    assert ipc_channels.find(token) == {}


def test_a_user_without_privileges_gets_an_ipc_namespace_through_a_user_namespace():
    _skip_unless_nobody_runs_python()
    token = _token()
    run = _run("import guard, os, ipc_channels as m\n"
               "print(guard.own_ipc_namespace(), os.getuid())\n"
               "assert guard.install_seccomp((), 0, shared_ipc=False)\n"
               f"m.leave({token}); print(sorted(m.find({token})))\n",
               *AS_NOBODY)
    first, second = run.stdout.splitlines()
    if first.startswith("False"):
        pytest.skip("this kernel allows no unprivileged user namespaces")
    assert first == "True 65534"                       # the uid is mapped: files keep owners
    assert second == "['mq', 'msg', 'sem', 'shm']"     # its own state works inside ...
    assert ipc_channels.find(token) == {}              # ... and is gone with it


def test_without_privileges_the_process_limit_is_the_workers_own():
    """RLIMIT_NPROC set inside the worker's own user namespace counts that worker's processes
    only: 8 allowed means 7 children, however many processes the user runs elsewhere."""
    _skip_unless_nobody_runs_python()
    run = _run("import guard, os, time\n"
               "made = guard.own_ipc_namespace() and guard.limit_own_processes(8)\n"
               "kids = []\n"
               "for _ in range(20):\n"
               "    try:\n"
               "        pid = os.fork()\n"
               "    except OSError:\n"
               "        break\n"
               "    if pid == 0:\n"
               "        time.sleep(5); os._exit(0)\n"
               "    kids.append(pid)\n"
               "for pid in kids:\n"
               "    os.kill(pid, 9); os.waitpid(pid, 0)\n"
               "print(made, len(kids))\n",
               *AS_NOBODY)
    if run.stdout.startswith("False"):
        pytest.skip("this kernel allows no unprivileged user namespaces")
    assert run.stdout.split() == ["True", "7"], run.stdout + run.stderr
