import signal
from contextlib import contextmanager

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


@pytest.fixture(autouse=True, scope="session")
def _private_point_cache(tmp_path_factory):
    """Tests never read or write the user's cache of drawn test points."""
    patch = pytest.MonkeyPatch()
    patch.setenv("GRADCHECK_CACHE", str(tmp_path_factory.mktemp("point-cache")))
    yield
    patch.undo()
