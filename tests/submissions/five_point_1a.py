# 1a by a five-point stencil with h = 5e-3 instead of the exact derivative.
def d_1a(x):
    h = 5e-3

    def f(t):
        return np.cos(t**3) * np.log(t**4 / 11)  # noqa: F821

    return (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h)
