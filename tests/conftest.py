import os
import signal
import time
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def hang_guard(seconds: int, what: str):
    """Fail a test that hangs, instead of hanging the suite (a guard, not a speed goal)."""
    def hung(signum, frame):
        raise TimeoutError(f"{what} did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def processes_in(folder: Path) -> list[int]:
    """Pids of the processes whose working directory is inside ``folder``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cwd = os.readlink(f"/proc/{entry}/cwd")
            except OSError:
                continue
            if cwd == str(folder) or cwd.startswith(f"{folder}/"):
                found.append(int(entry))
    return found


def wait_until(predicate, timeout: float = 5.0) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass; its last value."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture(autouse=True, scope="session")
def _private_point_cache(tmp_path_factory):
    """Tests never read or write the user's cache of drawn test points."""
    patch = pytest.MonkeyPatch()
    patch.setenv("GRADCHECK_CACHE", str(tmp_path_factory.mktemp("point-cache")))
    yield
    patch.undo()
