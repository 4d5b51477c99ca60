"""An endless loop that ignores every catchable signal a timeout might send."""

import signal

for _name in ("SIGALRM", "SIGTERM", "SIGINT", "SIGHUP", "SIGXCPU", "SIGVTALRM", "SIGPROF"):
    signal.signal(getattr(signal, _name), signal.SIG_IGN)


def good(x):
    return 2 * x


def spin(x):
    signal.alarm(0)
    while True:
        try:
            while True:
                pass
        except BaseException:  # noqa: BLE001 - swallow KeyboardInterrupt and friends too
            continue
