"""Printing far more than anyone will read."""

import sys


def good(x):
    return 2 * x


def flood(x):
    line = "spam " * 200 + "\n"
    for _ in range(5000):
        sys.stdout.write(line)
    return 2 * x
