# Answers at the edges of float64 and beyond: huge, subnormal, integers too large for a
# float, and a value that overflows to inf inside numpy.
def d_1c(x):
    return 1.7e308


def jac_1d(x):
    import numpy as np

    return np.full((2, 3), -1.7e308)


def jac_1e(x):
    import numpy as np

    return np.full((x.size, x.size), 5e-324)


def grad_1f1(x):
    return [10**400 for _ in x]
