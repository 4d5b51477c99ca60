# 1h off by a factor 2, 1c with its sign flipped; everything else right.
_reference_jac_1h = jac_1h  # noqa: F821
_reference_d_1c = d_1c  # noqa: F821


def jac_1h(x, A, b):
    return 2 * _reference_jac_1h(x, A, b)


def d_1c(x):
    return -_reference_d_1c(x)
