# matrix-calculus: dL/dx returned as the slides' 1 × N row vector instead of an array of x's
# shape, and backprop with the single-layer loss ½‖y − f₂‖² (every gradient half the size).
_reference_backprop_two_layer = backprop_two_layer  # noqa: F821 (from the reference solution)


def grad_L_x(x, A, y):
    return (-(y - A @ x) @ A)[None, :]


def backprop_two_layer(x, A0, b0, A1, b1, y):
    return tuple(g / 2 for g in _reference_backprop_two_layer(x, A0, b0, A1, b1, y))
