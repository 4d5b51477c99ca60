"""A call that leaves a setsid child running and then spins (so the child is alive while the
call is still going)."""

import os
import time


def hold(x):
    if os.fork() == 0:
        os.setsid()
        open("child.started", "w").close()
        time.sleep(60)
        os._exit(0)
    while not os.path.exists("child.started"):
        time.sleep(0.01)
    while True:
        pass
