# jac_1d returns the transpose of its Jacobian: (3, 2) instead of (2, 3).
_reference_jac_1d = jac_1d  # noqa: F821 (defined by the reference solution above)


def jac_1d(x):
    return _reference_jac_1d(x).T
