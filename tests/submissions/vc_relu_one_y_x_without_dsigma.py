# vector-calculus: ReLU′ taken as 1 everywhere (wrong for x < 0), and ∂y/∂x without the
# σ′ factor (just ∂a/∂x = W); everything else right.
def d_relu(x):
    return 1.0


def jac_y_x(x, W, b):
    return W
