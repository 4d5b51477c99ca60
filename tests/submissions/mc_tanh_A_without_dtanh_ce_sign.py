# matrix-calculus: ∂f/∂A of the tanh layer without the factor 1 − tanh²(z) (that is ∂z/∂A),
# and the cross-entropy gradient as p − softmax(z) (sign flipped).
_reference_grad_cross_entropy = grad_cross_entropy  # noqa: F821 (from the reference solution)


def jac_tanh_A(x, A, b):
    return np.einsum("ij,k->ijk", np.eye(A.shape[0]), x)  # noqa: F821


def grad_cross_entropy(z, p):
    return -_reference_grad_cross_entropy(z, p)
