"""Importing a forbidden package inside functions, by every route there is."""

import builtins
import importlib
import sys


def good(x):
    return 2 * x


def plain(x):
    import fractions

    return float(fractions.Fraction(1, 2)) * x


def via_importlib(x):
    return float(importlib.import_module("fractions").Fraction(1, 2)) * x


def via_dunder(x):
    return float(__import__("fractions").Fraction(1, 2)) * x


def unhooked(x):
    sys.meta_path[:] = [f for f in sys.meta_path if "Guard" not in type(f).__name__]
    builtins.__import__ = importlib.__import__
    import fractions

    return float(fractions.Fraction(1, 2)) * x
