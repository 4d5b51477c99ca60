"""Convolution, pooling and padding against naive loop implementations written here (the
independent route): values equal, Jacobians equal central differences of the naive versions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gradcheck import engine
from gradcheck.errors import EvaluationError
from tests.finite_differences import check_op

rng = np.random.default_rng(11)


def naive_conv2d(x, w, stride=1, pad=0):
    n, c, h, wd = x.shape
    f, _, hh, ww = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = (h + 2 * pad - hh) // stride + 1, (wd + 2 * pad - ww) // stride + 1
    out = np.zeros((n, f, ho, wo))
    for i in range(ho):
        for j in range(wo):
            window = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3]))
    return out


def naive_conv1d(x, w, stride=1, pad=0):
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
    return naive_conv2d(xp[:, :, None, :], w[:, :, None, :], stride, 0)[:, :, 0, :]


def naive_pool2d(x, size, stride, reduce):
    n, c, h, w = x.shape
    ph, pw = size
    ho, wo = (h - ph) // stride + 1, (w - pw) // stride + 1
    out = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            window = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw]
            out[:, :, i, j] = reduce(window, axis=(2, 3))
    return out


X = rng.normal(size=(2, 3, 5, 5))
W = rng.normal(size=(4, 3, 3, 3))
X1 = rng.normal(size=(2, 2, 7))
W1 = rng.normal(size=(3, 2, 3))

CASES = {
    "conv2d": (engine.conv2d, naive_conv2d, dict(x=X, w=W)),
    "conv2d stride 2 pad 1": (lambda x, w: engine.conv2d(x, w, stride=2, pad=1),
                              lambda x, w: naive_conv2d(x, w, 2, 1), dict(x=X, w=W)),
    "conv2d 1x1 kernel, pad 2": (lambda x, w: engine.conv2d(x, w, pad=2),
                                 lambda x, w: naive_conv2d(x, w, 1, 2),
                                 dict(x=rng.normal(size=(1, 2, 3, 4)),
                                      w=rng.normal(size=(2, 2, 1, 1)))),
    "conv2d stride 3 leaves a border": (lambda x, w: engine.conv2d(x, w, stride=3),
                                        lambda x, w: naive_conv2d(x, w, 3, 0),
                                        dict(x=rng.normal(size=(1, 1, 7, 6)),
                                             w=rng.normal(size=(2, 1, 2, 2)))),
    "conv1d": (engine.conv1d, naive_conv1d, dict(x=X1, w=W1)),
    "conv1d stride 2 pad 1": (lambda x, w: engine.conv1d(x, w, stride=2, pad=1),
                              lambda x, w: naive_conv1d(x, w, 2, 1), dict(x=X1, w=W1)),
    "max_pool2d": (lambda x: engine.max_pool2d(x, 2),
                   lambda x: naive_pool2d(x, (2, 2), 2, np.max),
                   dict(x=rng.normal(size=(2, 2, 4, 4)))),
    "max_pool2d overlapping": (lambda x: engine.max_pool2d(x, (3, 2), stride=1),
                               lambda x: naive_pool2d(x, (3, 2), 1, np.max),
                               dict(x=rng.normal(size=(1, 2, 5, 4)))),
    "avg_pool2d": (lambda x: engine.avg_pool2d(x, 2, stride=1),
                   lambda x: naive_pool2d(x, (2, 2), 1, np.mean),
                   dict(x=rng.normal(size=(2, 1, 3, 4)))),
    "max_pool1d": (lambda x: engine.max_pool1d(x, 2),
                   lambda x: naive_pool2d(x[:, :, None], (1, 2), 2, np.max)[:, :, 0], dict(x=X1)),
    "avg_pool1d": (lambda x: engine.avg_pool1d(x, 3, stride=2),
                   lambda x: naive_pool2d(x[:, :, None], (1, 3), 2, np.mean)[:, :, 0], dict(x=X1)),
    "pad int": (lambda x: engine.pad(x, 1), lambda x: np.pad(x, 1),
                dict(x=rng.normal(size=(2, 3)))),
    "pad pairs": (lambda x: engine.pad(x, ((0, 0), (2, 1))), lambda x: np.pad(x, ((0, 0), (2, 1))),
                  dict(x=rng.normal(size=(2, 3)))),
    "conv + bias, relu, pool": (
        lambda x, w, b: engine.max_pool2d(engine.relu(engine.conv2d(x, w, pad=1)
                                                      + engine.reshape(b, (1, -1, 1, 1))), 2),
        lambda x, w, b: naive_pool2d(np.maximum(naive_conv2d(x, w, 1, 1)
                                                + b.reshape(1, -1, 1, 1), 0), (2, 2), 2, np.max),
        dict(x=rng.normal(size=(1, 2, 4, 4)), w=rng.normal(size=(2, 2, 3, 3)),
             b=rng.normal(size=2))),
}


@pytest.mark.parametrize("name", list(CASES))
def test_values_and_jacobians_match_the_naive_loops(name):
    engine_fn, numpy_fn, inputs = CASES[name]
    check_op(engine_fn, numpy_fn, **inputs)


def test_the_naive_reference_is_itself_right_on_a_hand_example():
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
    np.testing.assert_array_equal(naive_conv2d(x, w), [[[[-4.0, -4.0], [-4.0, -4.0]]]])
    np.testing.assert_array_equal(engine.conv2d(x, w).value, naive_conv2d(x, w))
    assert engine.conv2d(x, w, stride=2, pad=1).shape == (1, 1, 2, 2)


def test_a_wrong_convolution_is_told_apart():
    # flipped kernel (true convolution) is not what is graded: values differ
    x, w = X[:1], W[:1]
    assert not np.allclose(engine.conv2d(x, w).value, naive_conv2d(x, w[:, :, ::-1, ::-1]))
    with pytest.raises(AssertionError):
        check_op(engine.conv2d, lambda x, w: naive_conv2d(x, w[:, :, ::-1, ::-1]), x=x, w=w)


def test_max_pool_ties_share_the_gradient_and_routes_it_to_the_maximum():
    x = engine.variable(np.array([[[[1.0, 3.0], [3.0, 0.0]], [[5.0, 1.0], [2.0, 0.0]]]]))
    (g,) = engine.backward(engine.sum(engine.max_pool2d(x, 2)), [x])
    np.testing.assert_array_equal(g, [[[[0, 0.5], [0.5, 0]], [[1, 0], [0, 0]]]])


@pytest.mark.parametrize("build, message", [
    (lambda: engine.conv2d(np.ones((1, 3, 4, 4)), np.ones((2, 2, 3, 3))), "channels"),
    (lambda: engine.conv2d(np.ones((3, 4, 4)), np.ones((2, 3, 3, 3))), r"\(N, C, H, W\)"),
    (lambda: engine.conv2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3))), "larger"),
    (lambda: engine.conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), stride=0), "at least 1"),
    (lambda: engine.conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), pad=-1), "at least 0"),
    (lambda: engine.conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), stride=1.5), "whole"),
    (lambda: engine.conv1d(np.ones((1, 1, 4)), np.ones((1, 1, 2)), stride=(1, 2)), "one integer"),
    (lambda: engine.max_pool2d(np.ones((1, 1, 4)), 2), r"\(N, C, H, W\)"),
    (lambda: engine.max_pool2d(np.ones((1, 1, 2, 2)), 3), "larger"),
    (lambda: engine.pad(np.ones((2, 2)), -1), "negative"),
    (lambda: engine.pad(np.ones((2, 2)), ((1, 1),)), "pair per axis"),
])
def test_bad_arguments_raise_evaluation_error(build, message):
    with pytest.raises(EvaluationError, match=message):
        build()


def test_sizes_are_checked_before_allocating(monkeypatch):
    monkeypatch.setattr("gradcheck.engine.node.MAX_ELEMENTS", 1000)
    x = np.ones((2, 3, 8, 8))
    with pytest.raises(EvaluationError, match="limit of 1000"):
        engine.conv2d(x, np.ones((4, 3, 3, 3)), pad=1)   # 2*3*8*8*9 windows copied
    with pytest.raises(EvaluationError, match="limit of 1000"):
        engine.pad(np.ones((30, 30)), 1)
    monkeypatch.setattr("gradcheck.engine.conv.MAX_WORK", 10_000)
    monkeypatch.setattr("gradcheck.engine.node.MAX_ELEMENTS", 10**7)
    with pytest.raises(EvaluationError, match="multiply-adds"):
        engine.conv2d(x, np.ones((8, 3, 3, 3)), pad=1)


def test_a_courses_conv_layer_jacobian_is_cheap():
    # (2, 3, 8, 8) images, 4 filters of 3x3, stride 1, pad 1: 512 outputs, one pass each
    x, w = rng.normal(size=(2, 3, 8, 8)), rng.normal(size=(4, 3, 3, 3))
    value, (jx, jw) = engine.jacobian(lambda x, w: engine.conv2d(x, w, pad=1),
                                      {"x": x, "w": w}, ["x", "w"])
    assert jx.shape == (2, 4, 8, 8, 2, 3, 8, 8) and jw.shape == (2, 4, 8, 8, 4, 3, 3, 3)
    # linear in w: the Jacobian contracted with w gives the value back
    np.testing.assert_allclose(np.tensordot(jw, w, axes=4), value, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.tensordot(jx, x, axes=4), value, rtol=1e-12, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 2), c=st.integers(1, 2), f=st.integers(1, 2), h=st.integers(1, 6),
       w=st.integers(1, 6), kh=st.integers(1, 3), kw=st.integers(1, 3),
       stride=st.integers(1, 3), pad=st.integers(0, 2), seed=st.integers(0, 2**32 - 1))
def test_random_geometries_match_the_naive_loops(n, c, f, h, w, kh, kw, stride, pad, seed):
    assume(h + 2 * pad >= kh and w + 2 * pad >= kw)
    rng = np.random.default_rng(seed)
    x, k = rng.normal(size=(n, c, h, w)), rng.normal(size=(f, c, kh, kw))
    value, (jx, jk) = engine.jacobian(lambda x, k: engine.conv2d(x, k, stride=stride, pad=pad),
                                      {"x": x, "k": k}, ["x", "k"])
    np.testing.assert_allclose(value, naive_conv2d(x, k, stride, pad), rtol=1e-12, atol=1e-12)
    # linear in each argument: the Jacobians are exact, and contracting gives the value back
    np.testing.assert_allclose(np.tensordot(jx, x, axes=4), value, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(np.tensordot(jk, k, axes=4), value, rtol=1e-10, atol=1e-10)
    assume(h >= kh and w >= kw)
    pooled = engine.max_pool2d(x, (kh, kw), stride=stride)
    assert pooled.shape == naive_pool2d(x, (kh, kw), stride, np.max).shape
    np.testing.assert_array_equal(pooled.value, naive_pool2d(x, (kh, kw), stride, np.max))
    check_op(lambda x: engine.avg_pool2d(x, (kh, kw), stride=stride),
             lambda x: naive_pool2d(x, (kh, kw), stride, np.mean), x=x)
