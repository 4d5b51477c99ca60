"""Importing a forbidden package at the top of the module."""

import torch  # noqa: F401


def good(x):
    return 2 * x
