# Mul.backward hands each input the other input's gradient.
def _swapped_backward(self, grad_output):
    return grad_output * self.a, grad_output * self.b


Mul.backward = _swapped_backward  # noqa: F821 (defined by the reference solution above)
