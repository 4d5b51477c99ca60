"""Signals aimed past the worker: everyone, the zygote, the grader, and its own group."""

import os
import signal


def good(x):
    return 2 * x


def _errno(target: int, sig: int = 0) -> float:
    try:
        os.kill(target, sig)
    except OSError as exc:
        return float(exc.errno)
    return 0.0


def everyone(x):
    return _errno(-1) + 0 * x


def zygote(x):
    return _errno(os.getppid(), signal.SIGKILL) + 0 * x


def own_group(x):
    return _errno(-os.getpgid(0)) + _errno(0) + 0 * x


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rpartition(")")[2].split()[1])


def keeper_and_grader(x):
    """``x``: the pids of keeper, grader and the grader's parent, for where /proc hides
    them (hidepid); otherwise found by walking up /proc."""
    if x.size == 3:
        keeper, grader, above = (int(v) for v in x)
    else:
        keeper = _parent(os.getppid())
        grader = _parent(keeper)
        above = _parent(grader)
    return _errno(keeper) + 10 * _errno(grader) + 100 * _errno(above) + 0.0
