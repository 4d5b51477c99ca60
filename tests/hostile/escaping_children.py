"""Processes that try to outlive the call: setsid child, double fork, detached subprocess."""

import os
import subprocess
import sys
import time


def good(x):
    return 2 * x


def setsid_child(x):
    if os.fork() == 0:
        os.setsid()
        open("setsid_child.started", "w").close()
        time.sleep(60)
        os._exit(0)
    _wait_for("setsid_child.started")
    return 2 * x


def daemon(x):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            open("daemon.started", "w").close()
            time.sleep(60)
            os._exit(0)
        _wait_for("daemon.started")
        os._exit(0)
    _wait_for("daemon.started")
    return 2 * x


def detached(x):
    subprocess.Popen([sys.executable, "-c", "import time; open('detached.started', 'w').close();"
                      " time.sleep(60)"], start_new_session=True)
    _wait_for("detached.started")
    return 2 * x


def _wait_for(name):
    for _ in range(500):
        if os.path.exists(name):
            return
        time.sleep(0.01)
