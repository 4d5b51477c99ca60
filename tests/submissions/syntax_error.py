import numpy as np


def d_1a(x):
    return -3 * x**2 * np.sin(x**3) * np.log(x**4 / 11) + np.cos(x**3) * 4 / x


def d_1b(x, mu, sigma)
    return 0.0
