"""Reference solution of the sheet matrix-calculus (scores every point).

Derivatives use the layout f.shape + X.shape: df/dx of f: R^N → R^M is M × N, df/dA of
f: R^(M×N) → R^M is M × M × N, and a gradient of a scalar has the shape of its input.
"""

import numpy as np

# --- partial derivatives and the chain rule -------------------------------------------------


def partials_1(x1, x2):
    """f = x₁²x₂ + x₁x₂³: (2x₁x₂ + x₂³, x₁² + 3x₁x₂²)."""
    return 2 * x1 * x2 + x2**3, x1**2 + 3 * x1 * x2**2


def partials_2(x1, x2):
    """f = (x₁ + 2x₂³)²: (2(x₁ + 2x₂³), 2(x₁ + 2x₂³) · 6x₂²)."""
    inner = x1 + 2 * x2**3
    return 2 * inner, 12 * x2**2 * inner


def df_dt(t):
    """df/dt = [2 sin t, 2] · [cos t, −sin t]ᵀ = 2 sin t cos t − 2 sin t."""
    return 2 * np.sin(t) * np.cos(t) - 2 * np.sin(t)


def grad_L_x(x, A, y):
    """dL/dx of ½‖y − Ax‖²: the row vector −(y − Ax)ᵀA as an array, −Aᵀ(y − Ax)."""
    return -A.T @ (y - A @ x)


# --- derivatives with respect to vectors and matrices ---------------------------------------


def jac_Ax_x(x, A):
    """df/dx of Ax is A."""
    return np.array(A, dtype=float)


def jac_Ax_A(x, A):
    """df[i, j, k] = ∂f_i/∂A_jk = δ_ij x_k."""
    m = A.shape[0]
    return np.einsum("ij,k->ijk", np.eye(m), x)


# --- a tanh layer f = tanh(Ax + b) ----------------------------------------------------------


def _dtanh(x, A, b):
    """The diagonal of ∂f/∂z = diag(1 − tanh²(z)), z = Ax + b."""
    return 1 - np.tanh(A @ x + b) ** 2


def jac_tanh_b(x, A, b):
    """∂f/∂b = diag(1 − tanh²(z)) · I."""
    return np.diag(_dtanh(x, A, b))


def jac_tanh_A(x, A, b):
    """∂f/∂A[i, j, k] = Σ_l ∂f/∂z[i, l] ∂z/∂A[l, j, k] = (1 − tanh²(z_i)) δ_ij x_k."""
    dfdz = np.diag(_dtanh(x, A, b))
    dzdA = np.einsum("ij,k->ijk", np.eye(A.shape[0]), x)
    return np.einsum("il,ljk->ijk", dfdz, dzdA)


def jac_tanh_x(x, A, b):
    """∂f/∂x = diag(1 − tanh²(z)) A."""
    return _dtanh(x, A, b)[:, None] * A


# --- losses and backpropagation -------------------------------------------------------------


def grads_squared_loss(x, A, b, y):
    """L = ½‖y − tanh(Ax + b)‖²: δ = ∂L/∂z = −(y − f) ⊙ (1 − f²); ∂L/∂A = δxᵀ, ∂L/∂b = δ."""
    f = np.tanh(A @ x + b)
    delta = -(y - f) * (1 - f**2)
    return np.outer(delta, x), delta


def backprop_two_layer(x, A0, b0, A1, b1, y):
    """L = ‖y − f₂‖², f₂ = A₁f₁ + b₁, f₁ = tanh(A₀x + b₀), by backpropagation."""
    f1 = np.tanh(A0 @ x + b0)
    f2 = A1 @ f1 + b1
    delta2 = -2 * (y - f2)                 # ∂L/∂f₂ (= ∂L/∂z₂, the output layer is linear)
    grad_A1, grad_b1 = np.outer(delta2, f1), delta2
    delta1 = (A1.T @ delta2) * (1 - f1**2)  # ∂L/∂z₁ = δ₂ ∂f₂/∂f₁ ∂f₁/∂z₁
    grad_A0, grad_b0 = np.outer(delta1, x), delta1
    return grad_A0, grad_b0, grad_A1, grad_b1


def grad_cross_entropy(z, p):
    """∂/∂z of −Σ p_k log softmax(z)_k = softmax(z) − p (Σ p = 1)."""
    q = np.exp(z - np.max(z))
    q /= q.sum()
    return q - p
