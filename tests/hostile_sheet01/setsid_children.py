# d_1c leaves long-running children behind in new sessions (one started with
# start_new_session, one double-forked daemon) and answers wrongly.
import os as _os
import subprocess as _subprocess
import sys as _sys

_SLEEPER = [_sys.executable, "-c", "import time; time.sleep(600)", "__MARKER__"]


def d_1c(x):
    _subprocess.Popen(_SLEEPER, start_new_session=True, stdout=_subprocess.DEVNULL,
                      stderr=_subprocess.DEVNULL)
    if _os.fork() == 0:
        _os.setsid()
        if _os.fork() == 0:
            _os.execv(_sys.executable, _SLEEPER)
        _os._exit(0)
    return 0.5
