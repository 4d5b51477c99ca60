"""A thread that starts processes during a call (children of another thread than main)."""

import queue
import subprocess
import sys
import threading

MARKER = "set by the test"
_asked, _done = queue.Queue(), queue.Queue()


def _spawner():
    while True:
        _asked.get()
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", MARKER])
        _done.put(1)


threading.Thread(target=_spawner, daemon=True).start()


def good(x):
    return 2 * x


def spawn_in_thread(x):
    _asked.put(1)
    _done.get()
    return 2 * x
