"""Reference solution of Exercise Sheet 01 (scores every point: 100 of 100).

Derivatives use the layout f.shape + x.shape: a Jacobian of f: Rⁿ → Rᵐ is m × n, a gradient
of a scalar function has the shape of x.
"""

import numpy as np

# --- Exercise 1: derivatives ---------------------------------------------------------------


def d_1a(x):
    """f(x) = cos(x³) ln(x⁴/11): product rule and chain rule."""
    return -3 * x**2 * np.sin(x**3) * np.log(x**4 / 11) + np.cos(x**3) * 4 / x


def d_1b(x, mu, sigma):
    """f(x) = exp(−(x−μ)²/(2σ²)): f′(x) = −(x−μ)/σ² · f(x)."""
    return -(x - mu) / sigma**2 * np.exp(-((x - mu) ** 2) / (2 * sigma**2))


def d_1c(x):
    """σ′(x) = σ(x)(1 − σ(x))."""
    s = 1 / (1 + np.exp(-x))
    return s * (1 - s)


def jac_1d(x):
    """Jacobian (2 × 3) of (√(x₁² − x₃), e^x₂ cos(4x₃))."""
    r = np.sqrt(x[0] ** 2 - x[2])
    return np.array([
        [x[0] / r, 0.0, -1 / (2 * r)],
        [0.0, np.exp(x[1]) * np.cos(4 * x[2]), -4 * np.exp(x[1]) * np.sin(4 * x[2])],
    ])


def jac_1e(x):
    """Jacobian of elementwise tanh: diagonal with 1 − tanh²(xᵢ)."""
    return np.diag(1 - np.tanh(x) ** 2)


def grad_1f1(x):
    """∇ of sin(x₁) cos(x₂)."""
    return np.array([np.cos(x[0]) * np.cos(x[1]), -np.sin(x[0]) * np.sin(x[1])])


def grad_1f2(x, y):
    """∇ₓ xᵀy = y."""
    return np.array(y, dtype=float)


def grad_1f3(x):
    """∇ₓ sin(log(xᵀx)) = cos(log(xᵀx)) · 2x / (xᵀx)."""
    s = x @ x
    return np.cos(np.log(s)) * 2 * x / s


def grad_1g(x, w, y):
    """∇_y f with z = w ⊙ y + sin(y): ∂f/∂z · ∂z/∂y + ∂f/∂y (explicit)."""
    z = w * y + np.sin(y)
    df_dz = (x - z) + (z - y)  # from −½‖x − z‖² and +½‖z − y‖²
    dz_dy = w + np.cos(y)  # diagonal Jacobian of t(w, y) with respect to y
    df_dy_explicit = -(z - y)
    return df_dz * dz_dy + df_dy_explicit


def jac_1h(x, A, b):
    """df/dx of sin(Ax + b) = diag(cos(Ax + b)) A, shape (M, N)."""
    return np.cos(A @ x + b)[:, None] * A


# --- Exercise 2: computational graphs, read as text by the grader --------------------------
# A = √(a + b + c²) + log(a + b + c²) + (a + b + c²)/(bc²): nine operations, s = t3 and c² = t2
# reused.


def forward_A(a, b, c):
    """Intermediate variables of A, one operation per line."""
    t1 = a + b
    t2 = c**2
    t3 = t1 + t2
    t4 = np.sqrt(t3)
    t5 = np.log(t3)
    t6 = b * t2
    t7 = t3 / t6
    t8 = t4 + t5
    t9 = t8 + t7
    return t9


graph_A = {
    "t1": ["a", "b"], "t2": ["c"], "t3": ["t1", "t2"], "t4": ["t3"], "t5": ["t3"],
    "t6": ["b", "t2"], "t7": ["t3", "t6"], "t8": ["t4", "t5"], "t9": ["t8", "t7"],
}


def backward_A(a, b, c, t1, t2, t3, t4, t5, t6, t7, t8, t9):
    """The adjoint of every node of forward_A from its direct children."""
    g_t9 = 1.0
    g_t8 = g_t9 * 1
    g_t7 = g_t9 * 1
    g_t6 = g_t7 * (-t3 / t6**2)
    g_t5 = g_t8 * 1
    g_t4 = g_t8 * 1
    g_t3 = g_t4 * (1 / (2 * np.sqrt(t3))) + g_t5 * (1 / t3) + g_t7 * (1 / t6)
    g_t2 = g_t3 * 1 + g_t6 * b
    g_t1 = g_t3 * 1
    g_a = g_t1 * 1
    g_b = g_t1 * 1 + g_t6 * t2
    g_c = g_t2 * (2 * c)
    return g_a, g_b, g_c


# B = Σᵢ (w₀ + w₁xᵢ − yᵢ)² on whole vectors: five operations.


def forward_B(w0, w1, x, y):
    """Intermediate variables of B, one operation per line."""
    t1 = w1 * x
    t2 = w0 + t1
    t3 = t2 - y
    t4 = t3**2
    t5 = np.sum(t4)
    return t5


# The same kind of graph as an edge list (from, to).
graph_B = [("w1", "t1"), ("x", "t1"), ("w0", "t2"), ("t1", "t2"), ("t2", "t3"), ("y", "t3"),
           ("t3", "t4"), ("t4", "t5")]


def backward_B(w0, w1, x, y, t1, t2, t3, t4, t5):
    """The adjoint of every node of forward_B; a scalar node sums its vector child's terms."""
    g_t5 = 1.0
    g_t4 = g_t5 * 1
    g_t3 = g_t4 * (2 * t3)
    g_t2 = g_t3 * 1
    g_t1 = g_t2 * 1
    g_w0 = np.sum(g_t2 * 1)
    g_w1 = np.sum(g_t1 * x)
    g_x = g_t1 * w1
    g_y = g_t3 * (-1)
    return g_w0, g_w1, g_x, g_y


# --- Exercise 3a: autograd nodes -----------------------------------------------------------


class Node:
    """A node remembers its inputs in forward and returns one gradient per input in backward."""

    def forward(self, *inputs):
        raise NotImplementedError

    def backward(self, grad_output):
        raise NotImplementedError


class Add(Node):
    def forward(self, a, b):
        return a + b

    def backward(self, grad_output):
        return grad_output, grad_output


class Sub(Node):
    def forward(self, a, b):
        return a - b

    def backward(self, grad_output):
        return grad_output, -grad_output


class Mul(Node):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad_output):
        return grad_output * self.b, grad_output * self.a


class Div(Node):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad_output):
        return grad_output / self.b, -grad_output * self.a / self.b**2


class Square(Node):
    def forward(self, a):
        self.a = a
        return a**2

    def backward(self, grad_output):
        return (2 * self.a * grad_output,)


class Sqrt(Node):
    def forward(self, a):
        self.out = np.sqrt(a)
        return self.out

    def backward(self, grad_output):
        return (grad_output / (2 * self.out),)


class Log(Node):
    def forward(self, a):
        self.a = a
        return np.log(a)

    def backward(self, grad_output):
        return (grad_output / self.a,)


class Sum(Node):
    def forward(self, a):
        self.shape = np.shape(a)
        return np.sum(a)

    def backward(self, grad_output):
        return (grad_output * np.ones(self.shape),)


# --- Exercise 3b: the nodes on equations A and B -------------------------------------------


def grad_A(a, b, c):
    """(∂A/∂a, ∂A/∂b, ∂A/∂c), A = √(a+b+c²) + log(a+b+c²) + (a+b+c²)/(bc²), by backprop."""
    # forward, one node per operation, intermediate variables reused
    add1, sq, add2, sqrt, log, sq2, mul, div, add3, add4 = (
        Add(), Square(), Add(), Sqrt(), Log(), Square(), Mul(), Div(), Add(), Add())
    t1 = add1.forward(a, b)
    t2 = sq.forward(c)
    t3 = add2.forward(t1, t2)          # s = a + b + c²
    t4 = sqrt.forward(t3)
    t5 = log.forward(t3)
    t6 = sq2.forward(c)
    t7 = mul.forward(b, t6)            # b c²
    t8 = div.forward(t3, t7)
    t9 = add3.forward(t4, t5)
    add4.forward(t9, t8)               # A
    # backward, accumulating into every input
    g9, g8 = add4.backward(1.0)
    g4, g5 = add3.backward(g9)
    g3_div, g7 = div.backward(g8)
    gb_mul, g6 = mul.backward(g7)
    (gc_sq2,) = sq2.backward(g6)
    (g3_log,) = log.backward(g5)
    (g3_sqrt,) = sqrt.backward(g4)
    g3 = g3_div + g3_log + g3_sqrt
    g1, g2 = add2.backward(g3)
    (gc_sq,) = sq.backward(g2)
    ga, gb_add = add1.backward(g1)
    return float(ga), float(gb_add + gb_mul), float(gc_sq + gc_sq2)


def grad_B(w0, w1, x, y):
    """(∂B/∂w₀, ∂B/∂w₁), B = Σᵢ (w₀ + w₁xᵢ − yᵢ)², by backprop through the nodes."""
    mul, add, sub, sq, total = Mul(), Add(), Sub(), Square(), Sum()
    ones = np.ones_like(np.asarray(x, dtype=float))
    t1 = mul.forward(w1 * ones, x)
    t2 = add.forward(w0 * ones, t1)
    t3 = sub.forward(t2, y)
    t4 = sq.forward(t3)
    total.forward(t4)
    (g4,) = total.backward(1.0)
    (g3,) = sq.backward(g4)
    g2, _ = sub.backward(g3)
    g_w0, g1 = add.backward(g2)
    g_w1, _ = mul.backward(g1)
    return float(np.sum(g_w0)), float(np.sum(g_w1))
