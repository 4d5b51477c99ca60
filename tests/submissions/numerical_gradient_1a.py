# 1a by np.gradient over a grid around x (a central difference with step 2e-4).
def d_1a(x):
    grid = np.linspace(x - 1e-3, x + 1e-3, 11)  # noqa: F821
    return np.gradient(np.cos(grid**3) * np.log(grid**4 / 11), grid)[5]  # noqa: F821
