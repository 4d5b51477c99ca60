"""Slow to import, and every call ends the worker: each crash costs a reload."""

import os
import time

time.sleep(0.2)


def good(x):
    return 2 * x


def die(x):
    os._exit(0)
