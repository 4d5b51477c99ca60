"""Data inputs (integer labels, masks) and parameters: reading, sampling, the point cache and
the template."""

import textwrap

import numpy as np
import pytest

from gradcheck.errors import SpecError
from gradcheck.spec import parse_sheet, pointcache
from gradcheck.spec.sampling import sample_points
from gradcheck.spec.template import render_template

SPEC = """\
sheet: data
title: Data inputs
exercises:
  - id: drop
    title: dropout
    points: 2
    student: d_drop
    function: "x * mask / p + sum(y) * 0"
    sizes: {N: [2, 4], C: [3, 5]}
    inputs:
      x: {shape: [N, C]}
      mask: {shape: [N, C], dtype: mask, keep: 0.7}
      y: {shape: [N], dtype: int, range: [0, C]}
      b: {shape: [N], dtype: bool}
    params: {p: 0.7, conv_param: {stride: 2, pad: 1, mode: train}}
    wrt: x
"""


def _sheet(text=SPEC):
    return parse_sheet(textwrap.dedent(text), file="data.yaml")


def _error(text: str) -> str:
    with pytest.raises(SpecError) as info:
        _sheet(text)
    return str(info.value)


def test_data_inputs_and_params_are_read():
    ex = _sheet().exercises[0]
    specs = {i.name: i for i in ex.inputs}
    assert specs["y"].dtype == "int" and specs["y"].range == (0, "C") and specs["y"].is_data
    assert specs["mask"].keep == 0.7 and specs["b"].keep == 0.5 and not specs["x"].is_data
    assert ex.differentiable == ("x",)
    assert ex.param_values() == [0.7, {"stride": 2, "pad": 1, "mode": "train"}]
    assert {"p", "conv_param_stride", "conv_param_pad"} <= set(ex.constants)
    assert "conv_param_mode" not in ex.constants   # text is for the student only


def test_sampled_data_have_their_dtype_and_range():
    ex = _sheet().exercises[0]
    for point in sample_points(ex, seed=3):
        x, mask, y, b = (point.inputs[n] for n in ("x", "mask", "y", "b"))
        assert y.dtype == np.int64 and b.dtype == np.bool_ and mask.dtype == np.float64
        assert set(np.unique(mask)) <= {0.0, 1.0}
        assert 0 <= y.min() and y.max() < x.shape[1]
        np.testing.assert_allclose(point.expected[0],
                                   np.einsum("ij,ik,jl->ijkl", mask / 0.7, *[np.eye(n)
                                             for n in x.shape]))
    again = sample_points(ex, seed=3)[0]
    assert np.array_equal(again.inputs["y"], sample_points(ex, seed=3)[0].inputs["y"])


def test_fixed_points_give_data_their_dtype():
    text = SPEC + '    points_at: [{y: [0, 2], b: [1, 0], x: [[1, 2, 3], [4, 5, 6]]}]\n'
    point = sample_points(_sheet(text).exercises[0], seed=0)[0]
    assert point.inputs["y"].dtype == np.int64 and point.inputs["b"].dtype == np.bool_
    bad = SPEC + '    points_at: [{y: [0.5, 2]}]\n'
    with pytest.raises(SpecError, match="must hold integers"):
        sample_points(_sheet(bad).exercises[0], seed=0)


@pytest.mark.parametrize("change, message", [
    ("y: {shape: [N], dtype: int}", "needs a range"),
    ("y: {shape: [N], dtype: int, range: [3, 3]}", "empty range"),
    ("y: {shape: [N], dtype: int, range: [0, K]}", "neither an integer nor a size"),
    ("y: {shape: [N], dtype: int, range: [0, C], domain: [0, 1]}", "has no domain"),
    ("y: {shape: [N], dtype: integer, range: [0, C]}", "unknown dtype 'integer'"),
    ("y: {shape: [N], dtype: bool, keep: 1.5}", "between 0 and 1"),
    ("y: {shape: [N], keep: 0.5}", "only a bool or mask input"),
    ("y: {shape: [N], dtype: bool, range: [0, 2]}", "only an input with dtype: int"),
])
def test_bad_data_inputs_are_spec_errors(change, message):
    text = SPEC.replace("y: {shape: [N], dtype: int, range: [0, C]}", change)
    assert message in _error(text)


def test_data_inputs_and_params_are_checked_against_the_rest():
    assert "'y' is a data input" in _error(SPEC.replace("wrt: x", "wrt: [x, y]"))
    assert "not a valid parameter name" in _error(SPEC.replace("{p: 0.7,", "{x: 0.7,"))
    nested = SPEC.replace("{p: 0.7", "{p: {a: [1, [2]]}")
    assert "data.yaml:15: p: a list parameter holds" in _error(nested)
    assert "a parameter is a number" in _error(SPEC.replace("pad: 1", "pad: {a: 1}"))
    assert "not a valid key" in _error(SPEC.replace("stride: 2", "2: 2"))


def test_point_cache_keeps_the_dtype(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADCHECK_CACHE", str(tmp_path))
    sheet = _sheet()
    points = {"drop": tuple(sample_points(sheet.exercises[0], seed=1))}
    pointcache.store("ab" * 32, 1, points)
    loaded = pointcache.load("ab" * 32, 1)
    for a, b in zip(points["drop"], loaded["drop"], strict=True):
        for name in a.inputs:
            assert a.inputs[name].dtype == b.inputs[name].dtype
            assert np.array_equal(a.inputs[name], b.inputs[name])


def test_template_lists_params_and_data():
    text = render_template(_sheet())
    assert "def d_drop(x, mask, y, b, p, conv_param):" in text
    assert "y: an integer array of shape (N,), entries from 0 to C - 1" in text
    assert "conv_param: {'stride': 2, 'pad': 1, 'mode': 'train'}" in text


def test_exponent_notation_is_a_number_and_quoted_text_stays_text():
    # YAML 1.1 (PyYAML) reads 1e-5 and 1.0e308 as text: eps reached the student as "1e-5" and
    # the expression could not use it ("unknown name 'eps'").
    params = "params: {eps: 1e-5, big: 2.5E+3, tag: '1e-5', p: 0.7,"
    sheet = _sheet(SPEC.replace("x * mask / p", "x * mask / p + eps * 0 + big * 0")
                   .replace("params: {p: 0.7,", params))
    params = sheet.exercises[0].params
    assert params["eps"] == 1e-5 and isinstance(params["eps"], float)
    assert params["big"] == 2500.0
    assert params["tag"] == "1e-5"


@pytest.mark.parametrize("value", ["1.0e308", "-2e10", "12345678901234567890123"])
def test_number_params_are_bounded_with_file_line_and_key(value):
    message = _error(SPEC.replace("params: {p: 0.7,", f"params: {{alpha: {value}, p: 0.7,"))
    assert message.startswith("data.yaml:15: alpha:"), message
    assert "at most 1e+09 in magnitude" in message
