"""A fork bomb, capped at CAP processes so that it cannot take a machine down on its own."""

import os
import time

CAP = 300


def good(x):
    return 2 * x


def bomb(x):
    started = 0
    for _ in range(CAP):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        started += 1
    return float(started)
