"""Reference solution of the sheet d2l-calculus (scores every point).

Derivatives use the layout f.shape + x.shape (numerator layout): the Jacobian of Ax is A, the
transpose of the book's denominator-layout ∇ₓ Ax = Aᵀ.
"""

import numpy as np


def jac_Ax(x, A):
    """d(Ax)/dx = A, shape (m, n)."""
    return np.array(A, dtype=float)


def jac_xA(x, A):
    """d(xᵀA)/dx = Aᵀ, shape (m, n): (xᵀA)_j = Σᵢ xᵢ A_ij."""
    return np.array(A, dtype=float).T


def grad_xAx(x, A):
    """∇ₓ xᵀAx = (A + Aᵀ)x."""
    return (A + A.T) @ x


def grad_sqnorm(x):
    """∇ₓ ‖x‖² = 2x."""
    return 2 * x


def grad_chain(x):
    """dy/dxᵢ = Σⱼ dy/duⱼ · duⱼ/dxᵢ for y = u₁u₂ + exp(u₃)."""
    x1, x2 = x
    u1, u2, u3 = x1 * x2, np.sin(x1 + x2), x1**2 - x2
    dy_du = np.array([u2, u1, np.exp(u3)])
    du_dx = np.array([
        [x2, x1],                                   # u₁ = x₁x₂
        [np.cos(x1 + x2), np.cos(x1 + x2)],         # u₂ = sin(x₁ + x₂)
        [2 * x1, -1.0],                             # u₃ = x₁² − x₂
    ])
    return dy_du @ du_dx
