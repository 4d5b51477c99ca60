"""Sizes with arithmetic: formulas in shapes, size names in expressions (sqrt(d), reshape,
slice bounds, stride), read back from the inputs' shapes; and the errors for what cannot work."""

import textwrap

import numpy as np
import pytest

from gradcheck import engine
from gradcheck.errors import EvaluationError, SpecError
from gradcheck.spec import parse_sheet
from gradcheck.spec.sampling import sample_points
from gradcheck.spec.sizes import dimension, formula

SPEC = """\
sheet: sizes
title: Sizes with arithmetic
exercises:
  - id: affine
    title: affine of (N, d1, d2) inputs, scaled
    points: 1
    student: d_affine
    function: "sum((reshape(x, (N, -1)) @ w + b) / sqrt(d1))"
    sizes: {N: [2, 3], d1: [2, 3], d2: 2, M: [2, 4]}
    inputs:
      x: {shape: [N, d1, d2]}
      w: {shape: [d1*d2, M]}
      b: {shape: [M]}
    wrt: [x, w]
  - id: gates
    title: LSTM gate slices
    points: 1
    student: d_gates
    function: "sum(sigmoid(a[:, 0:H]) * tanh(a[:, 3*H:4*H]) * h)"
    sizes: {N: [1, 3], H: [1, 3]}
    inputs:
      a: {shape: [N, 4*H]}
      h: {shape: [N, H]}
    wrt: a
  - id: conv
    title: conv layer with an upstream gradient of the output's shape
    points: 1
    student: d_conv
    function: "sum(conv2d(x, w, stride=stride, pad=pad) * dout)"
    sizes: {N: 2, C: 3, H: 8, F: 2, HH: 3, stride: [1, 2], pad: 1}
    inputs:
      x: {shape: [N, C, H, H]}
      w: {shape: [F, C, HH, HH]}
      dout: {shape: [N, F, "(H + 2*pad - HH)//stride + 1", "(H + 2*pad - HH)//stride + 1"]}
      s: {shape: [stride]}
    wrt: [x, w]
    points_at: [{random: 2}]
"""


def _sheet(text=SPEC):
    return parse_sheet(textwrap.dedent(text), file="sizes.yaml")


def test_formulas_are_integer_arithmetic_over_sizes():
    f = formula("(H + 2*pad - HH) // stride + 1")
    assert f.names == {"H", "pad", "HH", "stride"}
    assert f.value({"H": 8, "pad": 1, "HH": 3, "stride": 2}) == 4
    assert dimension("d1*d2 % 5", {"d1": 2, "d2": 3}) == 1 and dimension(3, {}) == 3
    with pytest.raises(EvaluationError, match="divides by zero"):
        formula("H // s").value({"H": 2, "s": 0})
    with pytest.raises(EvaluationError, match="no value for 'k'"):
        formula("k + 1").value({})
    for bad in ("H / 2", "H ** 2", "max(H, 2)", "H.real", "2.5 * H", "__import__('os')",
                "H if H else 1", "H +", "[H]", "True + H"):
        with pytest.raises(ValueError):
            formula(bad)


def test_shapes_use_formulas_and_expressions_use_the_sizes():
    sheet = _sheet()
    affine, gates, conv = sheet.exercises
    for point in sample_points(affine, seed=1):
        x, w, b = (point.inputs[k] for k in "xwb")
        n, d1, d2 = x.shape
        assert w.shape == (d1 * d2, b.shape[0]) and d2 == 2
        jx, jw = point.expected
        np.testing.assert_allclose(jw, np.broadcast_to(x.reshape(n, -1).sum(0)[:, None],
                                                       w.shape) / np.sqrt(d1), rtol=1e-12)
        np.testing.assert_allclose(jx, np.broadcast_to(w.sum(1).reshape(d1, d2),
                                                       x.shape) / np.sqrt(d1), rtol=1e-12)
    for point in sample_points(gates, seed=2):
        a, h = point.inputs["a"], point.inputs["h"]
        assert a.shape[1] == 4 * h.shape[1]
        (ja,) = point.expected
        assert ja.shape == a.shape and np.all(ja[:, h.shape[1]:3 * h.shape[1]] == 0)
    strides = set()
    for point in sample_points(conv, seed=3):
        stride = point.inputs["s"].shape[0]
        strides.add(stride)
        out = (8 + 2 - 3) // stride + 1
        assert point.inputs["dout"].shape == (2, 2, out, out)
        x, w, dout = (point.inputs[k] for k in ("x", "w", "dout"))
        _, (gx, gw) = engine.vjp(lambda x, w, s=stride: engine.conv2d(x, w, stride=s, pad=1),
                                 {"x": x, "w": w}, ["x", "w"], dout)
        np.testing.assert_allclose(point.expected[0], gx, rtol=1e-12)
        np.testing.assert_allclose(point.expected[1], gw, rtol=1e-12)


def test_the_size_values_are_read_back_from_the_shapes():
    affine = _sheet().exercises[0]
    assert affine.size_values({"x": (3, 2, 2), "w": (4, 5)}) == {"d2": 2, "N": 3, "d1": 2,
                                                                  "M": 5}
    value = affine.evaluate({"x": np.ones((3, 2, 2)), "w": np.ones((4, 5)), "b": np.zeros(5)})
    np.testing.assert_allclose(value, 3 * 5 * 4 / np.sqrt(2))


@pytest.mark.parametrize("change, message", [
    (("[d1*d2, M]", "[d1*k, M]"), "uses 'k', not declared"),
    (("[d1*d2, M]", "[d1/d2, M]"), "only"),
    (("[d1*d2, M]", "[sqrt(d1), M]"), "not allowed in a size formula"),
    (("sqrt(d1)", "sqrt(K)"), "unknown name 'K'"),
    (("b: {shape: [M]}", "d1: {shape: [M]}"), "both a size and an input"),
    (("x: {shape: [N, d1, d2]}", "x: {shape: [N, 2*d1, d2]}"), "size 'd1' is drawn from a range"),
])
def test_what_cannot_work_is_a_spec_error_with_file_and_line(change, message):
    with pytest.raises(SpecError, match=message) as info:
        _sheet(SPEC.replace(*change))
    assert "sizes.yaml:" in str(info.value)


def test_a_formula_that_gives_no_length_is_reported():
    text = SPEC.replace("HH: 3,", "HH: 11,")
    with pytest.raises(SpecError, match="larger than the padded input|is 0"):
        sample_points(_sheet(text).exercises[2], seed=0)


DERIVED = """\
sheet: derived
title: Derived sizes
exercises:
  - id: conv
    title: conv with a derived output size
    points: 1
    student: d_conv
    function: "sum(reshape(conv2d(x, w, stride=stride, pad=1), (N, F, Ho * Ho)) * dout)"
    sizes: {N: [1, 2], C: 2, H: [5, 7], F: 2, HH: 3, stride: 2, Ho: "(H + 2 - HH)//stride + 1"}
    inputs:
      x: {shape: [N, C, H, H]}
      w: {shape: [F, C, HH, HH]}
      dout: {shape: [N, F, Ho*Ho]}
    wrt: w
    points_at: [{random: 3}]
"""


def test_derived_sizes_are_drawn_read_back_and_usable_in_expressions():
    ex = parse_sheet(DERIVED, file="derived.yaml").exercises[0]
    assert ex.derived == {"Ho": "(H + 2 - HH)//stride + 1"} and ex.sizes["Ho"] == (3, 4)
    for point in sample_points(ex, seed=5):
        h = point.inputs["x"].shape[2]
        ho = (h + 2 - 3) // 2 + 1
        assert point.inputs["dout"].shape[2] == ho * ho
        assert ex.size_values({k: v.shape for k, v in point.inputs.items()})["Ho"] == ho
        _, gw = engine.vjp(lambda x, w: engine.conv2d(x, w, stride=2, pad=1),
                           {"x": point.inputs["x"], "w": point.inputs["w"]}, "w",
                           point.inputs["dout"].reshape(-1, 2, ho, ho))
        np.testing.assert_allclose(point.expected[0], gw, rtol=1e-12)


@pytest.mark.parametrize("formula_text, message", [
    ("(H - 9)", "within 1"), ("K + 1", "uses 'K'"), ("H / 2", "only"),
    ("H // (HH - 3)", "divides by zero"),
])
def test_bad_derived_sizes_are_spec_errors(formula_text, message):
    text = DERIVED.replace('"(H + 2 - HH)//stride + 1"', f'"{formula_text}"')
    with pytest.raises(SpecError, match=message) as info:
        parse_sheet(text, file="derived.yaml")
    assert "derived.yaml:" in str(info.value)
