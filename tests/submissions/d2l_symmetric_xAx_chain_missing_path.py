# d2l-calculus: ∇ₓ xᵀAx as 2Ax (true only for a symmetric A), and the chain rule without the
# path through u₃ = x₁² − x₂.
def grad_xAx(x, A):
    return 2 * A @ x


def grad_chain(x):
    x1, x2 = x
    u1, u2 = x1 * x2, np.sin(x1 + x2)  # noqa: F821
    c = np.cos(x1 + x2)  # noqa: F821
    return np.array([u2 * x2 + u1 * c, u2 * x1 + u1 * c])  # noqa: F821
