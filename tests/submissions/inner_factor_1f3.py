# grad_1f3 forgets the inner derivative of log: a factor 1/xᵀx that differs at every point.
def grad_1f3(x):
    return np.cos(np.log(x @ x)) * 2 * x  # noqa: F821
