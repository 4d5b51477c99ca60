"""An ndarray subclass whose comparisons and conversions all lie."""

import numpy as np


class Always(np.ndarray):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __array__(self, *args, **kwargs):
        return np.full(self.shape, 2.0)

    def tolist(self):
        return [2.0]

    def astype(self, *args, **kwargs):
        return np.full(self.shape, 2.0)

    def __float__(self):
        return 2.0

    def view(self, *args, **kwargs):
        return np.full(self.shape, 2.0)

    @property
    def dtype(self):
        return np.dtype(np.float64)


def good(x):
    return 2 * x


def rigged(x):
    return np.asarray(2 * x + 1, dtype=np.float64).view(Always)


def rigged_complex(x):
    return np.asarray(2 * x + 1j).view(Always)
