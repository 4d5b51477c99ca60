# vector-calculus: ∂a/∂x returned as Wᵀ (D × N) instead of W, and the least-squares gradient
# without its factor 2; everything else right.
def jac_a_x(x, W, b):
    return W.T


def grad_least_squares(theta, W, y):
    return W.T @ (W @ theta - y)
