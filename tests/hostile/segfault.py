"""Dereferencing NULL inside a call."""

import ctypes


def good(x):
    return 2 * x


def crash(x):
    return float(len(ctypes.string_at(0)))
