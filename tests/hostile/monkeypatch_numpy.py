"""Rigging numpy's comparison helpers at import time (verdicts are never made in the child)."""

import numpy
import numpy.testing

numpy.allclose = lambda *args, **kwargs: True
numpy.isclose = lambda a, b, *args, **kwargs: numpy.ones(numpy.shape(a), dtype=bool)
numpy.array_equal = lambda *args, **kwargs: True
numpy.testing.assert_allclose = lambda *args, **kwargs: None
numpy.testing.assert_array_almost_equal = lambda *args, **kwargs: None


def good(x):
    return 2 * x


def wrong(x):
    return 3 * x
