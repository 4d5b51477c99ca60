"""The expression language for layer exercises: sizes in expressions, shapes and slices,
labels and masks as data, where, einsum, convolution and pooling; values as numpy computes
them, Jacobians equal central differences, and clear errors for what does not fit."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from gradcheck import engine, expr
from gradcheck.errors import EvaluationError, ExpressionError
from tests.finite_differences import assert_close_jacobian, numeric_jacobian

rng = np.random.default_rng(3)
N, D, C, H = 4, 3, 5, 2
VALUES = {
    "x": rng.normal(size=(N, D)), "w": rng.normal(size=(D, C)), "b": rng.normal(size=C),
    "y": np.array([4, 0, 2, 2]), "mask": np.array([True, False, True, True]),
    "a": rng.normal(size=(N, 4 * H)), "idx": np.array([[1, 0], [2, 2]]),
    "img": rng.normal(size=(2, 2, 5, 5)), "f": rng.normal(size=(3, 2, 3, 3)),
    "bias": rng.normal(size=3), "q": rng.normal(size=(2, 3, 4)), "k": rng.normal(size=(2, 5, 4)),
    "N": np.int64(N), "D": np.int64(D), "H": np.int64(H), "stride": np.int64(2),
    "pad": np.int64(1),
}


def np_log_softmax(s):
    s = s - s.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


def np_conv(x, w, stride, pad):
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho = (x.shape[2] + 2 * pad - w.shape[2]) // stride + 1
    wo = (x.shape[3] + 2 * pad - w.shape[3]) // stride + 1
    out = np.zeros((x.shape[0], w.shape[0], ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * stride:i * stride + w.shape[2], j * stride:j * stride + w.shape[3]]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return out


# text, numpy reference (keyword arguments from VALUES), the differentiable inputs to check
EXAMPLES = [
    ("x @ w / sqrt(D)", lambda x, w: x @ w / np.sqrt(D), "x w"),
    ("reshape(x, (N, -1)) @ w + b", lambda x, w, b: x.reshape(N, -1) @ w + b, "x w b"),
    ("sigmoid(a[:, 0:H]) * tanh(a[:, 3*H:4*H])",
     lambda a: 1 / (1 + np.exp(-a[:, :H])) * np.tanh(a[:, 3 * H:]), "a"),
    ("a[:, H:2*H] - a[:, -H:]", lambda a: a[:, H:2 * H] - a[:, -H:], "a"),
    ("-sum(log(softmax(x @ w, axis=1))[arange(N), y]) / N",
     lambda x, w, y: -np_log_softmax(x @ w)[np.arange(N), y].sum() / N, "x w"),
    ("sum(maximum(0, x @ w - (x @ w)[arange(N), y][:, None] + 1)) - N",
     lambda x, w, y: np.maximum(0, x @ w - (x @ w)[np.arange(N), y][:, None] + 1).sum() - N,
     "x w"),
    ("where(x > 0, x, 0.01 * x)", lambda x: np.where(x > 0, x, 0.01 * x), "x"),
    ("(x > 0) * x @ w", lambda x, w: (x > 0) * x @ w, "x w"),
    ("x[mask] @ w", lambda x, mask, w: x[mask] @ w, "x w"),
    ("w[idx]", lambda w, idx: w[idx], "w"),
    ("sum(x * mask[:, None], axis=0) / sum(mask)",
     lambda x, mask: (x * mask[:, None]).sum(0) / mask.sum(), "x"),
    ("(x - mean(x, axis=0)) / sqrt(var(x, axis=0) + 1e-5)",
     lambda x: (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), "x"),
    ("max(x, axis=1, keepdims=True) - min(x)",
     lambda x: x.max(axis=1, keepdims=True) - x.min(), "x"),
    ("einsum('nqd,nkd->nqk', q, k) / sqrt(4)",
     lambda q, k: q @ k.transpose(0, 2, 1) / 2, "q k"),
    ("softmax(einsum('nqd,nkd->nqk', q, k), axis=-1)[:, :, 0]",
     lambda q, k: (lambda s: np.exp(s) / np.exp(s).sum(-1, keepdims=True))(
         q @ k.transpose(0, 2, 1))[:, :, 0], "q k"),
    ("conv2d(img, f, stride=stride, pad=pad) + reshape(bias, (1, -1, 1, 1))",
     lambda img, f, bias: np_conv(img, f, 2, 1) + bias.reshape(1, -1, 1, 1), "img f bias"),
    ("max_pool2d(img, 2, stride=1)[:, :, 1:, :]",
     lambda img: np.stack([[[[img[n, c, i:i + 2, j:j + 2].max() for j in range(4)]
                              for i in range(1, 4)] for c in range(2)] for n in range(2)]), "img"),
    ("avg_pool2d(pad(img, ((0, 0), (0, 0), (pad, pad), (0, pad))), (2, 3))",
     lambda img: np.stack([[[[np.pad(img, ((0, 0), (0, 0), (1, 1), (0, 1)))
                              [n, c, 2 * i:2 * i + 2, 3 * j:3 * j + 3].mean() for j in range(2)]
                             for i in range(3)] for c in range(2)] for n in range(2)]), "img"),
    ("x[N // 2 - 1, D % 2]", lambda x: x[1, 1], "x"),
    ("x[..., None, 0]", lambda x: x[..., None, 0], "x"),
]


@pytest.mark.parametrize("text, reference, wrt", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_layer_expressions_evaluate_like_numpy_and_differentiate_exactly(text, reference, wrt):
    f = expr.parse(text, variables=VALUES)
    args = reference.__code__.co_varnames[:reference.__code__.co_argcount]
    np.testing.assert_allclose(f.evaluate(VALUES), reference(**{k: VALUES[k] for k in args}),
                               rtol=1e-12, atol=1e-12)
    inputs = {name: VALUES[name] for name in f.names}
    _, jacobians = engine.jacobian(f, inputs, wrt.split())
    for name, jac in zip(wrt.split(), jacobians, strict=True):
        expected = numeric_jacobian(lambda **kw: f.evaluate(kw), inputs, name)
        assert_close_jacobian(jac, expected)


def test_sizes_may_be_given_as_whole_floats_too():
    f = expr.parse("reshape(x, (N, -1))[:, H:2*H]")
    assert f.evaluate({"x": np.ones((4, 3)), "N": 4.0, "H": 1}).shape == (4, 1)
    with pytest.raises(EvaluationError, match="whole number.*'reshape"):
        f.evaluate({"x": np.ones((4, 3)), "N": 2.5, "H": 1})


@pytest.mark.parametrize("text, message", [
    ("x[y]", "not floats"),
    ("reshape(x, x)", "differentiable"),
    ("reshape(y, y)", "single integer"),
    ("x[0:N]", "differentiable"),
    ("conv2d(x, x)", r"\(N, C, H, W\)"),
    ("x // 2", "no derivative"),
    ("einsum('ij,jk->ik', x, x)", "lengths"),
])
def test_what_does_not_fit_is_an_evaluation_error_naming_the_part(text, message):
    x, y = engine.variable(np.ones((3, 2))), np.array([0.5, 1.5])
    f = expr.parse(text)
    with pytest.raises(EvaluationError, match=message) as info:
        f.build({"x": x, "y": y, "N": x})
    assert f"in expression {text!r}" in str(info.value)


@pytest.mark.parametrize("text, message", [
    ("x[1.5]", "whole number"),
    ("x[0:N/2]", None),
    ("einsum('ij,jk->ik', x)", "2 operand"),
    ("einsum(x, x)", "subscripts"),
    ("reshape(x, (N, 'a'))", "integer expression"),
    ("x and (x > 0)", "combine conditions"),
    ("conv2d(x, w, dilation=2)", "keyword arguments it takes: stride=, pad="),
    ("max_pool2d(x)", "2 positional"),
])
def test_what_cannot_be_right_is_refused_when_parsed(text, message):
    if message is None:  # parses: N/2 may be a whole number
        expr.parse(text)
        return
    with pytest.raises(ExpressionError, match=message):
        expr.parse(text)


def test_the_documented_examples_and_table_are_what_the_language_accepts():
    text = (Path(__file__).parents[2] / "docs" / "spec-format.md").read_text()
    section = text[text.index("## Expressions"):]
    examples = re.findall(r'^function: "(.*)"', section, flags=re.M)
    assert len(examples) >= 10
    for example in examples:
        expr.parse(example.replace('\\"', '"'))
    table = section[section.index("| function |"):section.index("Examples, as")]
    named = set(re.findall(r"`([a-z_0-9]+)[(`]", table)) | set(
        re.findall(r"`([a-z0-9 ]+)`", table.split("\n")[2])[0].split())
    assert set(expr.ALLOWED_FUNCTIONS) <= named, set(expr.ALLOWED_FUNCTIONS) - named
