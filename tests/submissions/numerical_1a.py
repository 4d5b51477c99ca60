# 1a computed as a forward difference quotient instead of the exact derivative.
def d_1a(x):
    h = 1e-5

    def f(t):
        return np.cos(t**3) * np.log(t**4 / 11)  # noqa: F821

    return (f(x + h) - f(x)) / h
