# 1a by a forward difference with a step relative to x (h = 1e-4 |x|).
def d_1a(x):
    h = 1e-4 * abs(x)

    def f(t):
        return np.cos(t**3) * np.log(t**4 / 11)  # noqa: F821

    return (f(x + h) - f(x)) / h
