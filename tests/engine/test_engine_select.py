"""Indexing with data (index arrays, masks), where, integer arithmetic, max/min/var reductions
and einsum: values equal numpy's, Jacobians equal central differences of the numpy version."""

from __future__ import annotations

import numpy as np
import pytest

from gradcheck import engine
from gradcheck.errors import EvaluationError
from tests.finite_differences import check_op

rng = np.random.default_rng(5)
A = rng.normal(size=(4, 3))
T = rng.normal(size=(2, 3, 4))
Y = np.array([2, 0, 1, 2])                       # class labels, as integer data
MASK = np.array([[True, False, True], [False, False, True], [True, True, False],
                 [False, True, True]])
IDX = np.array([[0, 3], [3, 3], [1, 0]])          # embedding lookups, with repeats
E = engine

CASES = {
    # integer and boolean indexing with data held in nodes
    "x[arange(N), y]": (lambda a: a[E.arange(4), E.constant(Y)], lambda a: a[np.arange(4), Y],
                        dict(a=A)),
    "W[idx] embedding": (lambda w: w[E.constant(IDX)], lambda w: w[IDX], dict(w=A)),
    "x[mask]": (lambda a: a[E.constant(MASK)], lambda a: a[MASK], dict(a=A)),
    "x[:, mask row]": (lambda a: a[:, E.constant(MASK[0])], lambda a: a[:, MASK[0]], dict(a=A)),
    "mixed slices and arrays": (lambda t: t[:, E.constant(np.array([2, 0])), 1:],
                                lambda t: t[:, [2, 0], 1:], dict(t=T)),
    "ellipsis and None": (lambda t: t[..., None, 0], lambda t: t[..., None, 0], dict(t=T)),
    "softmax loss with labels": (
        lambda a: -E.sum(E.log(E.softmax(a, axis=1))[E.arange(4), E.constant(Y)]) / 4,
        lambda a: -np.sum(np.log(np.exp(a) / np.exp(a).sum(1, keepdims=True))[np.arange(4), Y])
        / 4, dict(a=A)),
    # where and masks as numbers
    "where": (lambda a, b: E.where(E.constant(MASK), a, b), lambda a, b: np.where(MASK, a, b),
              dict(a=A, b=rng.normal(size=3))),
    "where broadcasts the condition": (lambda a: E.where(E.constant(MASK[0]), a, 2 * a),
                                       lambda a: np.where(MASK[0], a, 2 * a), dict(a=A)),
    "mask * x": (lambda a: E.constant(MASK) * a, lambda a: MASK * a, dict(a=A)),
    "mask + mask counts": (lambda a: (E.constant(MASK) + E.constant(MASK)) * a,
                           lambda a: 2 * MASK * a, dict(a=A)),
    # reductions
    **{f"max axis={axis} keepdims={keep}": (
        lambda t, axis=axis, keep=keep: E.max(t, axis=axis, keepdims=keep),
        lambda t, axis=axis, keep=keep: np.max(t, axis=axis, keepdims=keep), dict(t=T))
       for axis in (None, 0, -1, (0, 2)) for keep in (False, True)},
    "min axis 1": (lambda a: E.min(a, axis=1), lambda a: np.min(a, axis=1), dict(a=A)),
    **{f"var axis={axis}": (lambda t, axis=axis: E.var(t, axis=axis),
                            lambda t, axis=axis: np.var(t, axis=axis), dict(t=T))
       for axis in (None, 0, (0, 2))},
    "var keepdims (batch norm)": (
        lambda a: (a - E.mean(a, axis=0)) / E.sqrt(E.var(a, axis=0, keepdims=True) + 1e-5),
        lambda a: (a - a.mean(0)) / np.sqrt(a.var(0, keepdims=True) + 1e-5), dict(a=A)),
    # einsum
    "einsum matmul": (lambda a, b: E.einsum("ij,jk->ik", a, b), lambda a, b: a @ b,
                      dict(a=A, b=rng.normal(size=(3, 2)))),
    "einsum implicit output": (lambda a, b: E.einsum("ij,jk", a, b), lambda a, b: a @ b,
                               dict(a=A, b=rng.normal(size=(3, 2)))),
    "einsum batch": (lambda t, u: E.einsum("bij,bjk->bik", t, u),
                     lambda t, u: np.einsum("bij,bjk->bik", t, u),
                     dict(t=T, u=rng.normal(size=(2, 4, 3)))),
    "einsum trace": (lambda s: E.einsum("ii->", s), np.trace, dict(s=rng.normal(size=(3, 3)))),
    "einsum diagonal": (lambda s: E.einsum("ii->i", s), np.diag, dict(s=rng.normal(size=(3, 3)))),
    "einsum summed-out letter": (lambda t: E.einsum("ijk->ik", t),
                                 lambda t: t.sum(axis=1), dict(t=T)),
    "einsum three operands": (lambda a, b, c: E.einsum("ij,j,jk->ik", a, b, c),
                              lambda a, b, c: np.einsum("ij,j,jk->ik", a, b, c),
                              dict(a=A, b=rng.normal(size=3), c=rng.normal(size=(3, 2)))),
    "einsum outer (attention scores)": (
        lambda q, k: E.einsum("nqd,nkd->nqk", q, k) / np.sqrt(3),
        lambda q, k: q @ np.swapaxes(k, 1, 2) / np.sqrt(3),
        dict(q=rng.normal(size=(2, 2, 3)), k=rng.normal(size=(2, 4, 3)))),
}


@pytest.mark.parametrize("name", list(CASES))
def test_op_value_and_jacobian_match_numpy_and_finite_differences(name):
    engine_fn, numpy_fn, inputs = CASES[name]
    check_op(engine_fn, numpy_fn, **inputs)


def test_data_keeps_its_dtype_and_takes_no_gradient():
    y = E.constant(Y)
    assert y.value.dtype == np.int64 and not y.requires_grad
    assert E.constant(MASK).value.dtype == bool
    assert (y + y).value.dtype == np.int64 and (y * 2.0).value.dtype == np.float64
    assert E.arange(3).value.dtype == np.int64
    assert E.constant(np.array([1, 2], dtype=np.int8))[0].value.dtype == np.int64
    # the jacobian's non-wrt inputs stay data, so they can index
    value, jac = engine.jacobian(lambda a, y: a[E.arange(4), y], {"a": A, "y": Y}, "a")
    np.testing.assert_array_equal(value, A[np.arange(4), Y])
    assert jac.shape == (4, 4, 3) and jac.sum() == 4


def test_max_ties_split_the_gradient_and_a_persistent_tie_sums_to_the_gradient():
    x = E.variable([[2.0, 2.0, 1.0], [0.0, 3.0, 3.0]])
    (g,) = E.backward(E.sum(E.max(x, axis=1)), [x])
    np.testing.assert_array_equal(g, [[0.5, 0.5, 0], [0, 0.5, 0.5]])
    # max over relu zeros: differentiable (zero), and the shares send nothing through relu
    z = E.variable([-1.0, -2.0, -0.5])
    (g,) = E.backward(E.max(E.relu(z)), [z])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])


def test_where_sends_the_gradient_to_the_chosen_branch_only():
    a, b = E.variable([1.0, 2.0]), E.variable([10.0, 20.0])
    ga, gb = E.backward(E.sum(E.where(np.array([True, False]), a, b)), [a, b])
    np.testing.assert_array_equal(ga, [1.0, 0.0])
    np.testing.assert_array_equal(gb, [0.0, 1.0])


def test_integer_arithmetic_and_whole_number_indices():
    assert E.floor_divide(E.constant(np.array(7)), 2).value == 3
    assert E.floor_divide(E.arange(4), 2.0).value.dtype == np.int64  # still an index array
    assert E.floor_divide(E.arange(4), 2.5).value.dtype == np.float64
    assert E.remainder(7, 3).value == 1
    x = E.variable(np.arange(10.0))
    h = E.constant(2.0)                                  # a size computed as a float
    np.testing.assert_array_equal(x[slice(h, 2 * h)].value, [2.0, 3.0])
    assert x[h].value == 2.0


@pytest.mark.parametrize("build, message", [
    (lambda: E.floor_divide(E.variable(3.0), 2), "no derivative"),
    (lambda: E.variable(A)[E.variable(1.0)], "constant"),
    (lambda: E.variable(A)[E.constant(np.array([0.5, 1.0]))], "not floats"),
    (lambda: E.variable(A)[E.constant(np.array([0.0, 1.0]))], "multiplying"),
    (lambda: E.variable(A)[E.constant(1.5)], "whole number"),
    (lambda: E.variable(A)[slice(E.constant(0.5), None)], "slice bound"),
    (lambda: E.variable(A)[E.constant(np.array([7]))], "does not fit"),
    (lambda: E.variable(A)[E.constant(np.ones((3, 3), dtype=bool))], "does not fit"),
    (lambda: E.arange(-1), "negative"),
    (lambda: E.arange(2.5), "whole"),
    (lambda: E.where(np.ones(2, dtype=bool), E.variable(A), 0.0), "broadcast"),
    (lambda: E.max(np.ones((0, 2)), axis=0), "empty"),
    (lambda: E.var(np.ones((2, 0)), axis=1), "empty"),
    (lambda: E.max(E.variable(A), axis=2), "out of range"),
    (lambda: E.einsum("ij,jk", E.variable(A)), "2 operand"),
    (lambda: E.einsum("ij,jk->ik", E.variable(A), np.ones((2, 2))), "lengths 3 and 2"),
    (lambda: E.einsum("ijk->", E.variable(A)), "3 letters"),
    (lambda: E.einsum("ij->ii", E.variable(A)), "once"),
    (lambda: E.einsum("...i->i", E.variable(A)), "not supported"),
    (lambda: E.einsum("ij->k", E.variable(A)), "only letters"),
])
def test_bad_arguments_raise_evaluation_error(build, message):
    with pytest.raises(EvaluationError, match=message):
        build()


def test_sizes_are_checked_before_allocating(monkeypatch):
    monkeypatch.setattr("gradcheck.engine.node.MAX_ELEMENTS", 100)
    w = E.variable(np.ones((5, 4)))
    assert w[E.constant(np.zeros(25, dtype=np.int64))].shape == (25, 4)
    with pytest.raises(EvaluationError, match="indexing.*limit of 100"):
        w[E.constant(np.zeros(26, dtype=np.int64))]
    with pytest.raises(EvaluationError, match="limit of 100"):
        E.arange(101)
    with pytest.raises(EvaluationError, match="einsum.*limit of 100"):
        E.einsum("i,j->ij", np.ones(11), np.ones(10))
    monkeypatch.setattr("gradcheck.engine.contraction.MAX_WORK", 999)
    with pytest.raises(EvaluationError, match="multiply-adds"):
        E.einsum("ij,jk->", np.ones((10, 10)), np.ones((10, 10)))
