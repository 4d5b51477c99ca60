# Slow to import, and every function (and node) ends the worker: each crash costs a reload.
import os as _os
import time as _time

_time.sleep(0.2)


def _die(*args, **kwargs):
    _os._exit(0)


d_1a = d_1b = d_1c = jac_1d = jac_1e = grad_1f1 = grad_1f2 = grad_1f3 = _die
grad_1g = jac_1h = grad_A = grad_B = _die


class _Node:
    def forward(self, *inputs):
        _os._exit(0)

    def backward(self, grad_output):
        _os._exit(0)


Add = Sub = Mul = Div = Square = Sqrt = Log = Sum = _Node
