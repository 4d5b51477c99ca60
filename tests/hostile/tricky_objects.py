"""Objects that break naive introspection, and an interrupt aimed at the worker's own code."""

import _thread
import sys
import threading

sys.modules[42] = "not a module name"   # noqa: B018 - a non-string key


class Slippery:
    @property
    def __class__(self):
        raise RuntimeError("no class for you")

    def __getattr__(self, name):
        raise RuntimeError(f"no {name} for you")


SLIPPERY = Slippery()


def good(x):
    return 2 * x


def interrupt(x):
    timer = threading.Timer(0.0, _thread.interrupt_main)
    timer.start()
    timer.join()
    return 2 * x
