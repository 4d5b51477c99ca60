"""The expression language: the specs' examples evaluate like hand-written numpy, build the same
graph values, report their names and functions, and fail with messages that say what exists."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

from gradcheck import engine, expr
from gradcheck.errors import EvaluationError, ExpressionError
from tests.finite_differences import assert_close_jacobian, numeric_jacobian

rng = np.random.default_rng(7)
VALUES = {
    "x": np.array([1.5, 0.3, 0.8]), "y": np.array([0.2, -0.4, 1.1]), "mu": 0.3, "sigma": 1.2,
    "w0": 0.5, "w1": -1.5, "A": rng.normal(size=(3, 3)), "b": rng.normal(size=3),
    "z": np.array([2.0, -1.0, 0.5]), "u": np.arange(6.0),
}


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


# text, the same computation in numpy, names, functions
EXAMPLES = [
    ("cos(x**3) * log(x**4 / 11)", lambda x: np.cos(x**3) * np.log(x**4 / 11), "x", "cos log"),
    ("exp(-(x - mu)**2 / (2 * sigma**2))",
     lambda x, mu, sigma: np.exp(-((x - mu) ** 2) / (2 * sigma**2)), "x mu sigma", "exp"),
    ("stack([sqrt(x[0]**2 - x[2]), exp(x[1]) * cos(4*x[2])])",
     lambda x: np.array([np.sqrt(x[0] ** 2 - x[2]), np.exp(x[1]) * np.cos(4 * x[2])]),
     "x", "stack sqrt exp cos"),
    ("sum((w0 + w1*x - y)**2)", lambda w0, w1, x, y: np.sum((w0 + w1 * x - y) ** 2),
     "w0 w1 x y", "sum"),
    ("sin(A @ x + b)", lambda A, x, b: np.sin(A @ x + b), "A x b", "sin"),
    ("tanh(A @ x + b)", lambda A, x, b: np.tanh(A @ x + b), "A x b", "tanh"),
    ("x.T @ A @ x", lambda x, A: x @ A @ x, "x A", ""),
    ("logsumexp(z) - sum(y * z)", lambda z, y: np.log(np.sum(np.exp(z))) - np.sum(y * z),
     "z y", "logsumexp sum"),
    ("-sum(y * log(softmax(z)))", lambda y, z: -np.sum(y * np.log(softmax(z))), "y z",
     "sum log softmax"),
    ("0.5 * norm(y - A @ x)**2", lambda y, A, x: 0.5 * np.sum((y - A @ x) ** 2), "y A x", "norm"),
    ("sum(x, axis=0)", lambda x: np.sum(x, axis=0), "x", "sum"),
    ("sum(A, axis=1, keepdims=True)", lambda A: np.sum(A, axis=1, keepdims=True), "A", "sum"),
    ("mean(A, axis=(0, 1))", lambda A: np.mean(A), "A", "mean"),
    ("A[:, 1:3]", lambda A: A[:, 1:3], "A", ""),
    ("A[-1, ::-2]", lambda A: A[-1, ::-2], "A", ""),
    ("x[-1]", lambda x: x[-1], "x", ""),
    ("concatenate([x, y])", lambda x, y: np.concatenate([x, y]), "x y", "concatenate"),
    ("reshape(u, (2, 3))", lambda u: u.reshape(2, 3), "u", "reshape"),
    ("reshape(A, -1)", lambda A: A.reshape(-1), "A", "reshape"),
    ("maximum(y, 0)", lambda y: np.maximum(y, 0), "y", "maximum"),
    ("pi * x", lambda x: np.pi * x, "x", ""),
    ("e**x", lambda x: np.e**x, "x", ""),
    ("+x - -y", lambda x, y: x + y, "x y", ""),
    ("transpose(A, axes=(1, 0)) @ softmax(A, axis=0)[:, 0]",
     lambda A: A.T @ np.exp(A[:, 0]) / np.exp(A[:, 0]).sum(), "A", "transpose softmax"),
    ("stack([x, y], axis=1)", lambda x, y: np.stack([x, y], axis=1), "x y", "stack"),
    ("diag(outer(x, y)) + dot(x, y) * minimum(x, y)",
     lambda x, y: np.diag(np.outer(x, y)) + x @ y * np.minimum(x, y), "x y",
     "diag outer dot minimum"),
    ("x[0]**2 - x[2] > 0.1", lambda x: x[0] ** 2 - x[2] > 0.1, "x", ""),
    ("x > 0 and y < 1", lambda x, y: (x > 0) & (y < 1), "x y", ""),
    ("0 < y <= 1 or not x != 0.3", lambda x, y: ((0 < y) & (y <= 1)) | (x == 0.3), "x y", ""),
]


@pytest.mark.parametrize("text, reference, names, functions", EXAMPLES,
                         ids=[e[0] for e in EXAMPLES])
def test_examples_evaluate_like_numpy_and_build_the_same_value(text, reference, names,
                                                               functions):
    expression = expr.parse(text)
    assert expression.text == text
    assert expression.names == frozenset(names.split())
    assert expression.functions == frozenset(functions.split())
    args = {name: VALUES[name] for name in reference.__code__.co_varnames[
        :reference.__code__.co_argcount]}
    expected = reference(**args)
    value = expression.evaluate(VALUES)
    assert value.shape == np.shape(expected)
    if expression.is_condition:
        assert value.dtype == bool
        np.testing.assert_array_equal(value, expected)
        return
    assert value.dtype == np.float64
    np.testing.assert_allclose(value, expected, rtol=1e-13)
    built = expression.build(VALUES)
    np.testing.assert_array_equal(built.value, value)
    nodes = {name: engine.variable(v) for name, v in VALUES.items()}
    np.testing.assert_array_equal(expression(**nodes).value, value)


def test_conditions_are_true_and_false_where_they_should_be():
    constraint = expr.parse("x[0]**2 - x[2] > 0.1", variables=["x"])
    assert constraint.is_condition
    assert constraint.evaluate({"x": [1.0, 0.0, 0.5]})
    assert not constraint.evaluate({"x": [0.5, 0.0, 0.5]})
    chained = expr.parse("0 < x < 1")
    np.testing.assert_array_equal(chained.evaluate({"x": [-1, 0.5, 2]}), [False, True, False])
    with pytest.raises(ExpressionError, match="no derivative"):
        constraint.build({"x": engine.variable([1.0, 0.0, 0.5])})


def test_derivatives_through_expressions_match_the_hand_derived_ones():
    f = expr.parse("cos(x**3) * log(x**4 / 11)")
    x = np.array([0.7, 1.3, 2.2])
    _, jac = engine.jacobian(f, {"x": x}, "x")
    slope = -3 * x**2 * np.sin(x**3) * np.log(x**4 / 11) + 4 * np.cos(x**3) / x
    np.testing.assert_allclose(jac, np.diag(slope), rtol=1e-12)

    f = expr.parse("stack([sqrt(x[0]**2 - x[2]), exp(x[1]) * cos(4*x[2])])")
    x = VALUES["x"]
    _, jac = engine.jacobian(f, {"x": x}, "x")
    r = np.sqrt(x[0] ** 2 - x[2])
    expected = [[x[0] / r, 0, -0.5 / r],
                [0, np.exp(x[1]) * np.cos(4 * x[2]), -4 * np.exp(x[1]) * np.sin(4 * x[2])]]
    np.testing.assert_allclose(jac, expected, rtol=1e-12)

    f = expr.parse("exp(-(x - mu)**2 / (2 * sigma**2))")
    inputs = {"x": 0.4, "mu": 0.1, "sigma": 0.8}
    value, (dx, dsigma) = engine.jacobian(f, inputs, ["x", "sigma"])
    np.testing.assert_allclose(dx, -value * 0.3 / 0.64, rtol=1e-12)
    np.testing.assert_allclose(dsigma, value * 0.09 / 0.8**3, rtol=1e-12)


def test_expression_jacobians_agree_with_central_differences():
    f = expr.parse("-sum(y * log(softmax(A @ x + b))) + 0.5 * norm(x)**2")
    inputs = {name: VALUES[name] for name in ("y", "A", "x", "b")}
    _, jacobians = engine.jacobian(f, inputs, list(inputs))
    for name, jac in zip(inputs, jacobians, strict=True):
        expected = numeric_jacobian(lambda **kw: f.evaluate(kw), inputs, name)
        assert_close_jacobian(jac, expected)


def test_unknown_function_lists_the_allowed_functions():
    with pytest.raises(ExpressionError) as info:
        expr.parse("foo(x) + 1")
    message = str(info.value)
    assert "unknown function 'foo'" in message and "'foo(x) + 1'" in message
    assert ", ".join(expr.ALLOWED_FUNCTIONS) in message


def test_unknown_name_lists_the_inputs_and_constants():
    with pytest.raises(ExpressionError) as info:
        expr.parse("x + z", variables=["x", "y"])
    message = str(info.value)
    assert "unknown name 'z'" in message and "inputs are x, y" in message
    assert "e, pi" in message and "'x + z'" in message
    assert expr.parse("x + z").names == {"x", "z"}  # without variables any name is an input


def test_variables_may_shadow_the_constants():
    assert expr.parse("e * pi", variables=["e", "x"]).names == {"e"}
    assert expr.parse("e * pi").names == frozenset()
    assert expr.parse("2 * pi").evaluate({}) == 2 * np.pi


@pytest.mark.parametrize("text", ["x +", "sin(x", "x y", "1 +* 2", ")"])
def test_syntax_errors_quote_the_text(text):
    with pytest.raises(ExpressionError, match="invalid syntax") as info:
        expr.parse(text)
    assert repr(text) in str(info.value)


@pytest.mark.parametrize("text, values, part", [
    ("sin(A @ x + b)", {"A": np.ones((3, 2)), "x": np.ones(3), "b": 0.0}, "A @ x"),
    ("x + y", {"x": np.ones(3), "y": np.ones(2)}, "x + y"),
    ("exp(x[3])", {"x": np.ones(3)}, "x[3]"),
    ("sum(x, axis=1)", {"x": np.ones(3)}, "sum(x, axis=1)"),
    ("reshape(x, (2, 2))", {"x": np.ones(3)}, "reshape(x, (2, 2))"),
    ("x < y", {"x": np.ones(3), "y": np.ones(2)}, "x < y"),
])
def test_shape_mistakes_raise_evaluation_error_quoting_the_part(text, values, part):
    with pytest.raises(EvaluationError) as info:
        expr.parse(text).evaluate(values)
    assert f"cannot evaluate {part!r}" in str(info.value)
    assert repr(text) in str(info.value)
    assert info.value.__cause__ is None  # no numpy traceback chained on


def test_missing_and_malformed_inputs_are_evaluation_errors():
    f = expr.parse("x * y")
    with pytest.raises(EvaluationError, match="no value for 'y'"):
        f.evaluate({"x": 1.0})
    with pytest.raises(EvaluationError, match="input 'y'"):
        f.evaluate({"x": 1.0, "y": "abc"})
    with pytest.raises(EvaluationError, match="no value for 'x'"):
        f.build({"y": engine.variable(1.0)})
    assert f.evaluate({"x": 2.0, "y": 3.0, "unused": 5.0}) == 6.0


def test_comparisons_are_masks_but_and_or_not_need_conditions():
    x = np.array([-1.0, 2.0, 0.5])
    np.testing.assert_array_equal(expr.parse("(x > 0) * x").evaluate({"x": x}), [0, 2, 0.5])
    np.testing.assert_array_equal(expr.parse("x[x > 0]").evaluate({"x": x}), [2, 0.5])
    np.testing.assert_array_equal(expr.parse("(x > 0) + (x > 1)").evaluate({"x": x}), [0, 2, 1])
    np.testing.assert_allclose(expr.parse("exp(x > 0)").evaluate({"x": x}), [1, np.e, np.e])
    for text in ["x and y", "not x", "x or (y > 0)"]:
        with pytest.raises(ExpressionError, match="combine conditions"):
            expr.parse(text)


def test_evaluate_returns_fresh_float64_arrays_and_stays_quiet_on_nan():
    value = expr.parse("x").evaluate({"x": [1, 2]})
    assert value.dtype == np.float64
    value[0] = 10.0  # writable, and the next evaluation is unaffected
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(expr.parse("log(x)").evaluate({"x": -1.0}))
        assert np.isinf(expr.parse("1 / x").evaluate({"x": 0.0}))


@pytest.mark.parametrize("name", expr.ALLOWED_FUNCTIONS)
def test_every_allowed_function_can_be_called(name):
    calls = {"stack": "stack([x, x])", "concatenate": "concatenate([x, x])",
             "reshape": "reshape(x, (3, 1))", "transpose": "transpose(x)",
             "arange": "arange(3) * x", "einsum": "einsum('i,i->', x, x)", "pad": "pad(x, 1)",
             "conv1d": "conv1d(reshape(x, (1, 1, 3)), ones(1, 1, 2))",
             "conv2d": "conv2d(reshape(x, (1, 1, 1, 3)), ones(1, 1, 1, 2), pad=1)",
             "max_pool1d": "max_pool1d(reshape(x, (1, 1, 3)), 2, stride=1)",
             "avg_pool1d": "avg_pool1d(reshape(x, (1, 1, 3)), 3)",
             "max_pool2d": "max_pool2d(reshape(x, (1, 1, 1, 3)), (1, 2))",
             "avg_pool2d": "avg_pool2d(reshape(x, (1, 1, 3, 1)), (3, 1))"}
    args = {"array": "x", "arrays": "[x]", "shape": "(3,)"}
    text = calls.get(name) or f"{name}({', '.join(args[k] for k in expr.FUNCTIONS[name].args)})"
    text = text.replace("ones(1, 1, 2)", "reshape(x[:2], (1, 1, 2))").replace(
        "ones(1, 1, 1, 2)", "reshape(x[:2], (1, 1, 1, 2))")
    expression = expr.parse(text)
    assert name in expression.functions
    assert np.all(np.isfinite(expression.evaluate({"x": [0.1, 0.2, 0.3]})))


def test_allowed_functions_are_sorted_and_match_the_table():
    assert list(expr.ALLOWED_FUNCTIONS) == sorted(expr.FUNCTIONS)
    assert {"exp", "log", "softmax", "logsumexp", "stack", "reshape", "norm"} <= set(
        expr.ALLOWED_FUNCTIONS)


def test_limits_are_enforced_at_their_boundaries():
    assert expr.parse(f"x**{expr.MAX_EXPONENT}").evaluate({"x": 1.0}) == 1.0
    assert expr.parse(f"x**-{expr.MAX_EXPONENT}").evaluate({"x": 1.0}) == 1.0
    for text in (f"x**{expr.MAX_EXPONENT + 1}", f"x**(-{expr.MAX_EXPONENT} - 1)",
                 "x**(8 * 9)", "x**(1/0)"):
        with pytest.raises(ExpressionError, match="exponent"):
            expr.parse(text)
    longest = "x*1." + "0" * (expr.MAX_LENGTH - 4)
    assert expr.parse(longest).evaluate({"x": 2.0}) == 2.0
    with pytest.raises(ExpressionError, match="characters"):
        expr.parse(longest + "0")
    deep = "x" + "+x" * (expr.MAX_DEPTH - 3)
    assert expr.parse(deep).evaluate({"x": 1.0}) == expr.MAX_DEPTH - 2
    with pytest.raises(ExpressionError, match="deeper"):
        expr.parse(deep + "+x+x")


def test_expressions_pickle_and_compare_by_text():
    f = expr.parse("sum(x**2)", variables=["x"])
    g = pickle.loads(pickle.dumps(f))
    assert g == f and hash(g) == hash(f) and g.names == {"x"}
    assert g.evaluate({"x": [1.0, 2.0]}) == 5.0
    assert f != expr.parse("sum(x**2)") and repr(f) == "Expression('sum(x**2)')"


def test_surrounding_whitespace_is_ignored():
    assert expr.parse("  x + 1\n").text == "x + 1"
    with pytest.raises(ExpressionError, match="empty"):
        expr.parse("   ")
    with pytest.raises(ExpressionError, match="string"):
        expr.parse(None)
