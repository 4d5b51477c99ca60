"""Processes of the worker side: finding children, ending what a request started, the keeper.

Part of the standalone worker (standard library only, never imports ``gradcheck``).
"""

from __future__ import annotations

import os
import signal
import time


def children() -> list[int]:
    """Direct children of this process, whichever of its threads started them."""
    children: list[int] = []
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as f:
                children += [int(p) for p in f.read().split()]
        return children
    except OSError:   # no procfs (macOS: orphans are not swept) or no children files
        pass
    return children_by_scan()


def children_by_scan() -> list[int]:
    """Direct children found by reading every process's parent from /proc."""
    children = []
    if not os.path.isdir("/proc"):
        return children
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == me:
                children.append(int(entry))
    return children


def descendants() -> list[int]:
    """Every process below this one that /proc shows (children, their children, ...)."""
    found, queue = [], [os.getpid()]
    while queue and len(found) < 1 << 16:
        pid = queue.pop()
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    kids = [int(p) for p in f.read().split()]
            except OSError:
                continue
            found += kids
            queue += kids
    return found


def has_children() -> bool:
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    return True


def end_descendants(rounds: int = 50) -> None:
    """Kill everything the last request started, before answering it.

    The worker is a subreaper, so descendants whose parents die (double-forked daemons,
    ``setsid`` children) become its children; one cheap ``waitid`` says whether there are any.
    Children of every thread count (a student's thread may have started them). Each round
    kills the whole tree at once, grandchildren included, so a bomb whose processes all keep
    forking cannot refill it faster than it is emptied (a process with SIGKILL pending forks
    no more).
    """
    for _ in range(rounds):
        if not has_children():
            return
        found = descendants() or children_by_scan()
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        if not found:
            return   # only children that had already ended, now reaped
        time.sleep(0.001)


def parent_of(pid: int) -> int:
    """The parent of process ``pid`` (0 when unknown)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rpartition(")")[2].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def keep(zygote: int) -> None:
    """The keeper: wait for the zygote; once it is gone, kill and reap every process that
    was reparented here (what its workers left behind), then exit."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            pid, _status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid == zygote:
            break
    while True:   # a dying worker's orphans are reparented here before it can be reaped
        for pid in children():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
    os._exit(0)
