"""Reference solution of the sheet vector-calculus (scores every point).

Derivatives use the layout f.shape + x.shape: a Jacobian of f: R^D → R^N is N × D, a gradient
of a scalar function has the shape of x.
"""

import numpy as np


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# --- simple derivatives ---------------------------------------------------------------------


def d_sigmoid(x):
    """σ′(x) = e^(−x) / (1 + e^(−x))² = σ(x)(1 − σ(x))."""
    s = _sigmoid(x)
    return s * (1 - s)


def d_relu(x):
    """ReLU′(x) = H(x): 0 for x < 0, 1 for x > 0."""
    return 1.0 if x > 0 else 0.0


# --- gradients ------------------------------------------------------------------------------


def grad_affine(x, w, b):
    """∇ₓ (b + wᵀx) = w."""
    return np.array(w, dtype=float)


def grad_sqnorm(x):
    """∇ₓ ‖x‖² = 2x."""
    return 2 * x


# --- Jacobians of the simple perceptron y = σ(a), a = Wx + b --------------------------------


def jac_a_x(x, W, b):
    """∂a/∂x = W, shape (N, D)."""
    return np.array(W, dtype=float)


def jac_a_b(x, W, b):
    """∂a/∂b = I_N."""
    return np.eye(len(b))


def jac_a_W(x, W, b):
    """∂a_i/∂W_jk = δ_ij x_k: the slice [:, :, d] is x_d I_N, shape (N, N, D)."""
    n = W.shape[0]
    return np.eye(n)[:, :, None] * x[None, None, :]


def jac_y_a(a):
    """∂y/∂a = diag(σ′(a))."""
    s = _sigmoid(a)
    return np.diag(s * (1 - s))


def jac_y_x(x, W, b):
    """∂y/∂x = diag(σ′(Wx + b)) W."""
    s = _sigmoid(W @ x + b)
    return (s * (1 - s))[:, None] * W


def jac_y_b(x, W, b):
    """∂y/∂b = diag(σ′(Wx + b))."""
    s = _sigmoid(W @ x + b)
    return np.diag(s * (1 - s))


# --- least squares --------------------------------------------------------------------------


def grad_least_squares(theta, W, y):
    """∇_θ ‖Wθ − y‖² = 2 Wᵀ(Wθ − y)."""
    return 2 * W.T @ (W @ theta - y)
