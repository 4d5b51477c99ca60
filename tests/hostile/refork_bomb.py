"""A fork bomb at import whose every process keeps forking (and forks again when a child is
killed): it must not outlive the load request, nor slow down the calls after it."""

import os
import time


def _bomb():
    while True:
        try:
            if os.fork() == 0:
                os.setsid()   # a session of its own: out of the worker's process group
        except OSError:
            time.sleep(0.0005)


if os.fork() == 0:
    _bomb()


def good(x):
    return 2 * x


def count(x):
    """How many processes the worker's pids cgroup holds besides the worker (-1: none)."""
    with open("/proc/self/cgroup") as f:
        paths = dict(line.strip().split(":", 2)[1:] for line in f)
    try:
        with open(f"/sys/fs/cgroup/pids{paths['pids']}/cgroup.procs") as f:
            return float(len(f.read().split()) - 1)
    except (KeyError, OSError):
        return -1.0
