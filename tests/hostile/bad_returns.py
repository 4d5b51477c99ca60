"""Results that are not numbers."""

import numpy as np


def good(x):
    return 2 * x


def nan(x):
    return float("nan")


def none(x):
    return None


def text(x):
    return "2.0"


def ragged(x):
    return [[1.0, 2.0], [3.0]]


def complex_number(x):
    return 1 + 2j


def objects(x):
    return [1.0, None]


def pair(x):
    return (x, 2 * x, 3 * x)


def huge_result(x):
    return np.zeros(10**6)
