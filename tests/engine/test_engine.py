"""The reference engine against independent routes: numpy for values, central differences of the
numpy function for derivatives, and hand-derived formulas for a few classic Jacobians."""

from __future__ import annotations

import numpy as np
import pytest

from gradcheck import engine
from gradcheck.engine.node import _make
from gradcheck.errors import EvaluationError
from tests.finite_differences import assert_close_jacobian, check_op, numeric_jacobian

rng = np.random.default_rng(20240601)
V3 = rng.normal(size=3)
W3 = rng.normal(size=3)
P3 = rng.uniform(0.5, 2.0, size=3)  # positive, for log/sqrt and powers
M23 = rng.normal(size=(2, 3))
M34 = rng.normal(size=(3, 4))
T234 = rng.normal(size=(2, 3, 4))
S = 0.7


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def np_logsumexp(x, axis=None, keepdims=False):
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


E = engine
CASES = {
    # arithmetic and broadcasting
    "add": (lambda x, y: x + y, lambda x, y: x + y, dict(x=V3, y=W3)),
    "vector + scalar": (lambda x, s: x + s, lambda x, s: x + s, dict(x=V3, s=S)),
    "matrix + row": (lambda a, r: a + r, lambda a, r: a + r, dict(a=M23, r=V3)),
    "column * row": (lambda c, r: c * r, lambda c, r: c * r,
                     dict(c=rng.normal(size=(3, 1)), r=rng.normal(size=(1, 4)))),
    "sub": (lambda x, y: x - y, lambda x, y: x - y, dict(x=M23, y=V3)),
    "mul": (lambda x, y: x * y, lambda x, y: x * y, dict(x=V3, y=W3)),
    "div": (lambda x, y: x / y, lambda x, y: x / y, dict(x=V3, y=P3)),
    "div scalar by vector": (lambda s, y: s / y, lambda s, y: s / y, dict(s=S, y=P3)),
    "neg": (lambda x: -x, lambda x: -x, dict(x=M23)),
    "node ** const": (lambda x: x**3, lambda x: x**3, dict(x=V3)),
    "node ** negative const": (lambda x: x**-2.5, lambda x: x**-2.5, dict(x=P3)),
    "const ** node": (lambda x: 2.0**x, lambda x: 2.0**x, dict(x=V3)),
    "node ** node": (lambda x, y: x**y, lambda x, y: x**y, dict(x=P3, y=W3)),
    "constants mixed in": (lambda x: (3 - x) * 2 / (1 + x**2) - 1,
                           lambda x: (3 - x) * 2 / (1 + x**2) - 1, dict(x=V3)),
    # elementwise functions
    **{name: (getattr(E, name), fn, dict(x=M23)) for name, fn in [
        ("exp", np.exp), ("sin", np.sin), ("cos", np.cos), ("tanh", np.tanh),
        ("sigmoid", sigmoid), ("relu", lambda x: np.maximum(x, 0)), ("abs", np.abs),
        ("square", np.square), ("sinh", np.sinh), ("cosh", np.cosh), ("arctan", np.arctan)]},
    **{name: (getattr(E, name), fn, dict(x=P3)) for name, fn in [
        ("log", np.log), ("sqrt", np.sqrt), ("log1p", np.log1p), ("tan", np.tan)]},
    "maximum": (E.maximum, np.maximum, dict(a=M23, b=V3)),
    "minimum": (E.minimum, np.minimum, dict(a=V3, b=W3)),
    "maximum with constant": (lambda x: E.maximum(x, 0.1), lambda x: np.maximum(x, 0.1),
                              dict(x=V3)),
    # matmul variants
    "matrix @ matrix": (lambda a, b: a @ b, lambda a, b: a @ b, dict(a=M23, b=M34)),
    "matrix @ vector": (lambda a, x: a @ x, lambda a, x: a @ x, dict(a=M23, x=V3)),
    "vector @ matrix": (lambda x, b: x @ b, lambda x, b: x @ b, dict(x=V3, b=M34)),
    "vector @ vector": (lambda x, y: x @ y, lambda x, y: x @ y, dict(x=V3, y=W3)),
    "stack @ vector": (lambda t, y: t @ y, lambda t, y: t @ y, dict(t=T234, y=rng.normal(size=4))),
    "vector @ stack": (lambda x, t: x @ t, lambda x, t: x @ t,
                       dict(x=rng.normal(size=2), t=rng.normal(size=(3, 2, 4)))),
    "quadratic form": (lambda x, a: x.T @ a @ x, lambda x, a: x.T @ a @ x,
                       dict(x=V3, a=rng.normal(size=(3, 3)))),
    "dot vectors": (E.dot, np.dot, dict(x=V3, y=W3)),
    "dot matrix vector": (E.dot, np.dot, dict(a=M23, x=V3)),
    "dot scalar": (E.dot, np.dot, dict(s=S, x=V3)),
    "outer": (E.outer, np.outer, dict(x=V3, y=rng.normal(size=2))),
    "diag of vector": (E.diag, np.diag, dict(x=V3)),
    "diag of matrix": (E.diag, np.diag, dict(a=M34)),
    "norm": (E.norm, np.linalg.norm, dict(x=V3)),
    "frobenius norm": (E.norm, np.linalg.norm, dict(a=M23)),
    "norm axis 1": (lambda a: E.norm(a, axis=1), lambda a: np.linalg.norm(a, axis=1),
                    dict(a=M23)),
    # reductions
    **{f"sum axis={axis} keepdims={keep}": (
        lambda t, axis=axis, keep=keep: E.sum(t, axis=axis, keepdims=keep),
        lambda t, axis=axis, keep=keep: np.sum(t, axis=axis, keepdims=keep), dict(t=T234))
       for axis in (None, 0, -1, (0, 2)) for keep in (False, True)},
    **{f"mean axis={axis}": (lambda t, axis=axis: E.mean(t, axis=axis),
                             lambda t, axis=axis: np.mean(t, axis=axis), dict(t=T234))
       for axis in (None, 1, (1, 2))},
    "softmax": (E.softmax, np_softmax, dict(x=V3)),
    "softmax rows": (E.softmax, np_softmax, dict(a=M23)),
    "softmax axis 0": (lambda a: E.softmax(a, axis=0), lambda a: np_softmax(a, axis=0),
                       dict(a=M23)),
    "logsumexp": (E.logsumexp, np_logsumexp, dict(x=V3)),
    "logsumexp axis 1 keepdims": (lambda a: E.logsumexp(a, axis=1, keepdims=True),
                                  lambda a: np_logsumexp(a, axis=1, keepdims=True), dict(a=M23)),
    # shapes and indexing
    ".T": (lambda a: a.T, lambda a: a.T, dict(a=M23)),
    "transpose axes": (lambda t: E.transpose(t, (1, 2, 0)), lambda t: np.transpose(t, (1, 2, 0)),
                       dict(t=T234)),
    "reshape": (lambda t: E.reshape(t, (4, -1)), lambda t: np.reshape(t, (4, -1)), dict(t=T234)),
    "int index": (lambda x: x[1], lambda x: x[1], dict(x=V3)),
    "negative index": (lambda x: x[-1], lambda x: x[-1], dict(x=V3)),
    "slice with step": (lambda t: t[::-1, 1:, ::2], lambda t: t[::-1, 1:, ::2], dict(t=T234)),
    "row and column": (lambda a: a[1] * E.sum(a[:, 2]), lambda a: a[1] * a[:, 2].sum(),
                       dict(a=M34)),
    "index with None": (lambda x: x[None, 1:], lambda x: x[None, 1:], dict(x=V3)),
    "repeated use": (lambda x: E.stack([x[0], x[0] * x[2], x[-1] ** 2]),
                     lambda x: np.stack([x[0], x[0] * x[2], x[-1] ** 2]), dict(x=V3)),
    "array index with repeats": (lambda x: x[[0, 0, 2, 0]], lambda x: x[[0, 0, 2, 0]], dict(x=V3)),
    "stack": (lambda x, y: E.stack([x, y, x * y]), lambda x, y: np.stack([x, y, x * y]),
              dict(x=V3, y=W3)),
    "stack axis 1": (lambda a, b: E.stack([a, b], axis=1), lambda a, b: np.stack([a, b], 1),
                     dict(a=M23, b=-M23)),
    "concatenate": (lambda x, y: E.concatenate([x, y, x]), lambda x, y: np.concatenate([x, y, x]),
                    dict(x=V3, y=rng.normal(size=2))),
    "concatenate axis 1": (lambda a, b: E.concatenate([a, b], axis=1),
                           lambda a, b: np.concatenate([a, b], axis=1),
                           dict(a=M23, b=rng.normal(size=(2, 2)))),
}


@pytest.mark.parametrize("name", list(CASES))
def test_op_value_and_jacobian_match_numpy_and_finite_differences(name):
    engine_fn, numpy_fn, inputs = CASES[name]
    check_op(engine_fn, numpy_fn, **inputs)


@pytest.mark.parametrize("wrong", [
    # the right value, with a derivative off by 0.01 %
    lambda x: _make(np.sin(x.value), (x,), lambda g: (g * np.cos(x.value) * 1.0001,)),
    # the right value, detached from x: zero derivative
    lambda x: E.sin(engine.constant(x.value)),
])
def test_check_op_rejects_a_wrong_derivative(wrong):
    check_op(E.sin, np.sin, x=V3)
    with pytest.raises(AssertionError):
        check_op(wrong, np.sin, x=V3)


def test_tanh_layer_jacobians_match_the_hand_derived_formulas():
    a, x, b = rng.normal(size=(2, 3)), V3, rng.normal(size=2)
    value, (ja, jx, jb) = engine.jacobian(lambda a, x, b: E.tanh(a @ x + b),
                                          dict(a=a, x=x, b=b), ["a", "x", "b"])
    t = np.tanh(a @ x + b)
    d = 1 - t**2
    assert ja.shape == (2, 2, 3)
    np.testing.assert_allclose(ja, np.einsum("ik,l->ikl", np.diag(d), x), rtol=1e-13)
    np.testing.assert_allclose(jx, d[:, None] * a, rtol=1e-13)
    np.testing.assert_allclose(jb, np.diag(d), rtol=1e-13)
    np.testing.assert_allclose(value, t, rtol=1e-15)


def test_sin_layer_jacobian_wrt_x_is_diag_cos_times_a():
    a, x, b = M23, V3, rng.normal(size=2)
    _, jx = engine.jacobian(lambda a, x, b: E.sin(a @ x + b), dict(a=a, x=x, b=b), "x")
    np.testing.assert_allclose(jx, np.cos(a @ x + b)[:, None] * a, rtol=1e-13)


def test_sigmoid_derivative_is_s_times_one_minus_s():
    _, jac = engine.jacobian(E.sigmoid, {"x": V3}, "x")
    s = sigmoid(V3)
    np.testing.assert_allclose(jac, np.diag(s * (1 - s)), rtol=1e-13)


def test_softmax_jacobian_is_diag_s_minus_s_outer_s():
    value, jac = engine.jacobian(E.softmax, {"x": V3}, "x")
    np.testing.assert_allclose(jac, np.diag(value) - np.outer(value, value), atol=1e-15)


def test_gradients_of_logsumexp_norm_and_quadratic_form():
    a = rng.normal(size=(3, 3))
    _, g = engine.jacobian(E.logsumexp, {"x": V3}, "x")
    np.testing.assert_allclose(g, np_softmax(V3), rtol=1e-13)
    _, g = engine.jacobian(E.norm, {"x": V3}, "x")
    np.testing.assert_allclose(g, V3 / np.linalg.norm(V3), rtol=1e-13)
    _, g = engine.jacobian(lambda x, a: x @ a @ x, {"x": V3, "a": a}, "x")
    np.testing.assert_allclose(g, (a + a.T) @ V3, rtol=1e-13)


def test_broadcast_gradients_sum_over_the_stretched_axes():
    c, r = engine.variable(np.ones((3, 1))), engine.variable(np.full((1, 4), 2.0))
    s = engine.variable(5.0)
    out = engine.sum(c * r + s)
    gc, gr, gs = engine.backward(out, [c, r, s])
    np.testing.assert_array_equal(gc, np.full((3, 1), 8.0))
    np.testing.assert_array_equal(gr, np.full((1, 4), 3.0))
    assert gs.shape == () and gs == 12.0


def test_gradients_accumulate_over_every_use_of_a_node():
    x = engine.variable(V3)
    y = x * x + x + E.sum(x) * x[0]
    (g,) = engine.backward(E.sum(y), [x])
    expected = 2 * V3 + 1 + 3 * V3[0]  # sum(x) * x[0] is added to each of the 3 entries
    expected[0] += 3 * V3.sum()
    np.testing.assert_allclose(g, expected, rtol=1e-14)


@pytest.mark.parametrize("x_shape, fn, j_shape", [
    ((), lambda x: x * x, ()),
    ((), lambda x: E.stack([x, 2 * x]), (2,)),
    ((), lambda x: x * np.ones((2, 3)), (2, 3)),
    ((3,), E.sum, (3,)),
    ((3,), E.sin, (3, 3)),
    ((3,), lambda x: E.outer(x, x), (3, 3, 3)),
    ((2, 3), E.sum, (2, 3)),
    ((2, 3), lambda x: x @ np.ones(3), (2, 2, 3)),
    ((2, 3), lambda x: x.T, (3, 2, 2, 3)),
])
def test_jacobian_layout_is_output_shape_then_input_shape(x_shape, fn, j_shape):
    x = rng.normal(size=x_shape)
    value, jac = engine.jacobian(fn, {"x": x}, "x")
    assert jac.shape == j_shape == value.shape + x.shape
    assert_close_jacobian(jac, numeric_jacobian(lambda x: fn(engine.constant(x)).value,
                                                {"x": x}, "x"))


def test_jacobian_takes_floats_and_returns_float64_arrays():
    value, jac = engine.jacobian(lambda x, y: x * y, {"x": 2.0, "y": 3}, "x")
    assert isinstance(value, np.ndarray) and value.shape == () and value.dtype == np.float64
    assert isinstance(jac, np.ndarray) and jac.shape == () and jac == 3.0


def test_jacobian_with_a_list_returns_a_tuple_in_that_order():
    value, jacs = engine.jacobian(lambda a, x: a @ x, {"a": M23, "x": V3}, ["x", "a"])
    assert isinstance(jacs, tuple) and [j.shape for j in jacs] == [(2, 3), (2, 2, 3)]
    np.testing.assert_allclose(jacs[0], M23)


def test_jacobian_of_an_output_that_ignores_the_input_is_zero():
    _, jac = engine.jacobian(lambda x, y: y * 2, {"x": V3, "y": W3}, "x")
    np.testing.assert_array_equal(jac, np.zeros((3, 3)))
    _, jac = engine.jacobian(lambda x: 1.0, {"x": V3}, "x")
    np.testing.assert_array_equal(jac, np.zeros(3))


def test_vjp_equals_the_jacobian_contracted_with_grad_output():
    fn = lambda a, x: E.tanh(a @ x)[:, None] * a  # noqa: E731 - (2, 3) output
    inputs = {"a": M23, "x": V3}
    grad_output = rng.normal(size=(2, 3))
    value, (ja, jx) = engine.jacobian(fn, inputs, ["a", "x"])
    value2, (ga, gx) = engine.vjp(fn, inputs, ["a", "x"], grad_output)
    np.testing.assert_array_equal(value, value2)
    np.testing.assert_allclose(ga, np.tensordot(grad_output, ja, axes=2), rtol=1e-12)
    np.testing.assert_allclose(gx, np.tensordot(grad_output, jx, axes=2), rtol=1e-12)
    _, g = engine.vjp(fn, inputs, "x", grad_output)
    np.testing.assert_allclose(g, gx)


@pytest.mark.parametrize("grad_output", [np.ones(3), np.ones((2, 3, 1)), None])
def test_wrong_or_missing_grad_output_is_an_error(grad_output):
    with pytest.raises(EvaluationError, match="grad_output"):
        engine.vjp(lambda a: a * 2, {"a": M23}, "a", grad_output)
    with pytest.raises(EvaluationError, match="grad_output"):
        engine.backward(engine.variable(M23) * 2, [engine.variable(1.0)], grad_output)


def test_backward_api_details():
    x, unused = engine.variable(V3), engine.variable(np.ones((2, 2)))
    h = E.sin(x)
    y = E.sum(h * h)
    gx, gh, gu = engine.backward(y, [x, h, unused])
    np.testing.assert_allclose(gh, 2 * np.sin(V3))
    np.testing.assert_allclose(gx, 2 * np.sin(V3) * np.cos(V3))
    np.testing.assert_array_equal(gu, np.zeros((2, 2)))
    with pytest.raises(EvaluationError, match="sequence"):
        engine.backward(y, x)
    with pytest.raises(EvaluationError, match="inputs"):
        engine.jacobian(E.sin, {"x": V3}, "z")


def test_a_graph_deeper_than_the_recursion_limit_backpropagates():
    x = engine.variable(1.0)
    y = x
    for _ in range(20000):
        y = y * 1.0001
    (g,) = engine.backward(y, [x])
    np.testing.assert_allclose(g, 1.0001**20000, rtol=1e-9)


def test_numpy_values_on_the_left_give_nodes():
    x = engine.variable(V3)
    for result in (np.ones(3) + x, np.float64(2.0) * x, np.eye(3) @ x, np.float64(2.0) ** x,
                   np.ones(3) - x, np.ones(3) / (x * x + 1)):
        assert isinstance(result, engine.Node) and result.requires_grad


def test_values_are_float64_copies_and_read_only():
    data = np.array([1, 2, 3])
    x = engine.variable(data)
    data[0] = 100
    assert x.value.dtype == np.float64 and x.value[0] == 1.0
    with pytest.raises(ValueError):
        x.value[0] = 5.0
    with pytest.raises(TypeError):
        list(x)
    assert "variable" in repr(x) and "constant" in repr(engine.constant(1.0))


def test_constant_only_graphs_record_nothing():
    y = engine.constant(V3) * 2 + 1
    assert not y.requires_grad and y.parents == ()


@pytest.mark.parametrize("scale", [40.0, 1000.0])
def test_softmax_and_logsumexp_are_stable_for_huge_logits(scale):
    z = np.array([-1.0, 0.0, 1.0, 0.5]) * scale
    value, jac = engine.jacobian(lambda z: E.softmax(z), {"z": z}, "z")
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(jac))
    np.testing.assert_allclose(jac, np.diag(value) - np.outer(value, value), atol=1e-300)
    value, grad = engine.jacobian(lambda z: E.logsumexp(z), {"z": z}, "z")
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    np.testing.assert_allclose(value, scale + np.log1p(np.exp(-0.5 * scale)), rtol=1e-14)
    np.testing.assert_allclose(grad, np_softmax(z), rtol=1e-12)
    value, grad = engine.jacobian(lambda z: E.sum(E.sigmoid(z)), {"z": z}, "z")
    assert np.all(np.isfinite(grad)) and np.isfinite(value)


def test_documented_rules_at_kinks():
    x = engine.variable([0.0, 1.0, -1.0])
    g_relu, = engine.backward(E.sum(E.relu(x)), [x])
    g_abs, = engine.backward(E.sum(E.abs(x)), [x])
    np.testing.assert_array_equal(g_relu, [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(g_abs, [0.0, 1.0, -1.0])
    a, b = engine.variable([1.0, 2.0]), engine.variable([1.0, 3.0])
    ga, gb = engine.backward(E.sum(E.maximum(a, b)), [a, b])
    np.testing.assert_array_equal(ga, [0.5, 0.0])
    np.testing.assert_array_equal(gb, [0.5, 1.0])
    ga, gb = engine.backward(E.sum(E.minimum(a, b)), [a, b])
    np.testing.assert_array_equal(ga, [0.5, 1.0])
    zero = engine.variable(np.zeros(3))
    np.testing.assert_array_equal(engine.backward(E.norm(zero), [zero])[0], np.zeros(3))
    base, expo = engine.variable(0.0), engine.variable(2.0)
    assert engine.backward(base**expo, [expo])[0] == 0.0
    assert engine.backward(base**0, [base])[0] == 0.0


@pytest.mark.parametrize("build, message", [
    (lambda: engine.variable(V3) + np.ones(2), "do not broadcast"),
    (lambda: engine.variable(M23) @ np.ones(2), "do not align"),
    (lambda: engine.matmul(engine.variable(2.0), np.ones(2)), "at least one dimension"),
    (lambda: E.reshape(engine.variable(V3), (2, 2)), "cannot reshape"),
    (lambda: engine.variable(V3)[3], "does not fit"),
    (lambda: engine.variable(V3)[engine.variable(0.0)], "constant"),
    (lambda: E.sum(engine.variable(V3), axis=1), "out of range"),
    (lambda: E.sum(engine.variable(M23), axis=(0, 0)), "repeats"),
    (lambda: E.mean(engine.variable(V3), axis=1.5), "integer"),
    (lambda: E.stack([engine.variable(V3), engine.variable(M23)]), "same shape"),
    (lambda: E.stack([]), "non-empty"),
    (lambda: E.concatenate([engine.variable(V3), engine.variable(M23)]), "dimensions"),
    (lambda: E.concatenate([engine.variable(M23), np.ones((3, 3))], axis=1), "do not fit"),
    (lambda: E.diag(engine.variable(T234)), "vector or a matrix"),
    (lambda: E.dot(engine.variable(T234), np.ones(4)), "matmul"),
    (lambda: E.transpose(engine.variable(M23), (0, 0)), "permutation"),
    (lambda: E.transpose(engine.variable(V3), (5,)), "permutation"),
    (lambda: E.transpose(engine.variable(M23), (1.5, 0)), "integers"),
    (lambda: E.transpose(engine.variable(M23), (1.0, 0)), "integers"),
    (lambda: E.transpose(engine.variable(M23), ("a", 1)), "integers"),
    (lambda: E.transpose(engine.variable(M23), (True, False)), "integers"),
    (lambda: engine.variable("abc"), "real numbers"),
    (lambda: E.outer(np.ones(4000), engine.variable(np.ones(4000))), "limit"),
])
def test_bad_shapes_and_arguments_raise_evaluation_error(build, message):
    with pytest.raises(EvaluationError, match=message):
        build()


def test_the_element_limit_is_checked_before_allocating(monkeypatch):
    monkeypatch.setattr("gradcheck.engine.node.MAX_ELEMENTS", 100)
    x = engine.variable(np.ones((20, 1)))
    assert (x * np.ones((1, 5))).shape == (20, 5)
    for grow in (lambda: x * np.ones((1, 6)), lambda: x @ np.ones((1, 6)),
                 lambda: E.diag(np.ones(11)), lambda: E.stack([x] * 6),
                 lambda: E.concatenate([x] * 6)):
        with pytest.raises(EvaluationError, match="limit of 100"):
            grow()
    # a Jacobian has value.shape + x.shape entries: 10 x 10 is allowed, 11 x 11 is not
    assert engine.jacobian(lambda v: v * 2.0, {"v": np.ones(10)}, "v")[1].shape == (10, 10)
    for wrt in ("v", ["w", "v"]):
        with pytest.raises(EvaluationError, match="jacobian.*limit of 100"):
            engine.jacobian(lambda v, w: v * w, {"v": np.ones(11), "w": 2.0}, wrt)
