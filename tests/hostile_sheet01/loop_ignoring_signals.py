# d_1c ignores SIGALRM and SIGTERM, sets an alarm of its own, and spins.
import signal as _signal


def d_1c(x):
    _signal.signal(_signal.SIGALRM, _signal.SIG_IGN)
    _signal.signal(_signal.SIGTERM, _signal.SIG_IGN)
    _signal.alarm(1)
    while True:
        pass
