# Sum.backward forgets to multiply by its upstream gradient.
def _ones_backward(self, grad_output):
    return (np.ones(self.shape),)  # noqa: F821


Sum.backward = _ones_backward  # noqa: F821 (defined by the reference solution above)
