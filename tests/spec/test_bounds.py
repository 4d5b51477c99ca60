"""Hostile specs: every number and size is bounded, each broken bound a ``file:line: key:``
error, found fast and with bounded memory (points of 1e308 broke the JSON writer, domains of
width 1e308 the sampler, inputs of 10^9 entries allocated GiBs, an alias bomb took minutes
and GBs)."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from gradcheck.errors import SpecError
from gradcheck.spec import bounds, load_sheet, parse_sheet

BASE = """\
sheet: s
title: t
{sheet}exercises:
  - id: a
    title: t
    points: {points}
    student: f
    function: "{function}"
{extra}    inputs:
      x: {{shape: {shape}, domain: {domain}}}
    wrt: x
"""


def spec(*, sheet="", points="1", function="sum(sin(x))", extra="", shape="[]",
         domain="[-1, 1]") -> str:
    return BASE.format(sheet=sheet, points=points, function=function, extra=extra,
                       shape=shape, domain=domain)


def error_of(text: str) -> str:
    with pytest.raises(SpecError) as caught:
        parse_sheet(text, file="s.yaml")
    return str(caught.value)


def test_a_plain_spec_loads():
    assert parse_sheet(spec(shape="[64, 64]"), file="s.yaml").exercises[0].points == 1


@pytest.mark.parametrize("kwargs, where", [
    (dict(points="1e308"), "s.yaml:6: points: must be at most 1000"),
    (dict(points="1001"), "s.yaml:6: points: must be at most 1000"),
    (dict(points=str(10**400)), "s.yaml:6: points: must be a finite number"),
    (dict(domain="[-1e308, 1e308]"), "s.yaml:10: domain: domain bounds must lie within"),
    (dict(domain="[[-1, 1], [2, 1e10]]"), "s.yaml:10: domain: domain bounds must lie"),
    (dict(domain=f"[0, {10**400}]"), "s.yaml:10: domain: must be a finite number"),
    (dict(shape="[64, 64, 64, 64, 64]"), "s.yaml:10: shape: input 'x' has up to 1073741824"),
    (dict(shape="[64, 64, 64]"), "s.yaml:10: shape: input 'x' has up to 262144 entries"),
    (dict(shape="[1, 1, 1, 1, 1, 1, 1, 1, 1]"), "s.yaml:10: shape: input 'x' has more than 8"),
    (dict(shape="[n, n, 2]", extra="    sizes: {n: [1, 64]}\n"),
     "s.yaml:11: shape: input 'x' has up to 8192"),
    (dict(shape="big", extra="    shapes: {big: [[2], [64, 64, 2]]}\n"),
     "s.yaml:11: shape: input 'x' has up to 8192"),
    (dict(sheet="timeout: 1e300\n"), "s.yaml:3: timeout: must be at most 3600 seconds"),
    (dict(sheet="timeout: .inf\n"), "s.yaml:3: timeout: must be a finite number"),
    (dict(sheet=f"seed: {2**64}\n"), "s.yaml:3: seed: must be at most 2**63 - 1"),
    (dict(sheet="tolerance: {rtol: 1e300}\n"), "s.yaml:3: rtol: must be at most 1"),
    (dict(extra="    tolerance: {atol: 1e300}\n"), "s.yaml:9: atol: must be at most 1e+06"),
    (dict(extra=f"    constants: {{c: {10**400}}}\n"), "s.yaml:9: c: a constant is a number"),
    (dict(extra="    points_at: [{x: 1e999}, {random: 1}]\n"), "s.yaml:9: points_at:"),
])
def test_each_bound_names_file_line_and_key(kwargs, where):
    message = error_of(spec(**kwargs))
    assert message.startswith(where), message


def test_inputs_and_constants_together_are_bounded():
    rows = ", ".join(["[" + ", ".join(["1"] * 64) + "]"] * 64)
    constants = "    constants:\n" + "".join(f"      c{i}: [{rows}]\n" for i in range(16))
    message = error_of(spec(extra=constants, shape="[2]"))
    assert message.startswith("s.yaml:9: constants: the inputs and constants hold up to 65538")


def alias_bomb(levels: int, where: str) -> str:
    lines = ["      A: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for i in range(1, levels):
        name, prev = chr(ord("a") + i), chr(ord("a") + i - 1)
        lines.append(f"      {name.upper()}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    bomb = "\n".join(lines) + "\n"
    if where == "constant":
        return spec(extra="    constants:\n" + bomb, function="sum(x * A)")
    return spec(extra="    let:\n" + bomb.replace("[", "'").replace("]", "'"), shape="*i")


@pytest.mark.parametrize("levels", [6, 9, 12])
def test_an_alias_bomb_fails_fast_with_bounded_memory(levels):
    tracemalloc.start()
    started = time.monotonic()
    try:
        message = error_of(alias_bomb(levels, "constant"))
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 5
    assert peak < 20 << 20, peak
    assert "more than 100000 entries" in message and message.startswith("s.yaml:14: E: ")


def test_an_alias_bomb_as_a_shape_fails_the_same_way():
    text = spec(shape="*e", extra="    sizes:\n      n: &a [n, n, n, n, n, n, n, n, n, n]\n"
                + "".join(f"      m{i}: &{c} [" + ", ".join([f"*{p}"] * 10) + "]\n"
                          for i, (p, c) in enumerate(zip("abcd", "bcde", strict=True))))
    started = time.monotonic()
    message = error_of(text)
    assert time.monotonic() - started < 5
    assert "more than 100000 entries" in message, message


def test_a_huge_document_is_not_read(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(spec() + "#" * (bounds.MAX_DOCUMENT + 10) + "\n")
    with pytest.raises(SpecError, match="larger than 1048576 bytes"):
        load_sheet(path)
    with pytest.raises(SpecError, match="at most 1048576 are read"):
        parse_sheet(path.read_text(), file="big.yaml")


def test_a_drawn_shape_is_bounded_whatever_its_dimensions():
    bounds.check_drawn("a", "x", (64, 64))
    with pytest.raises(SpecError, match="4160 entries"):
        bounds.check_drawn("a", "x", (64, 65))


def test_a_function_never_finite_fails_without_runtime_warnings():
    import warnings

    from gradcheck.spec.sampling import sample_points

    sheet = parse_sheet(spec(function="1/(x-x)"), file="s.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # a RuntimeWarning would be printed before it
        with pytest.raises(SpecError, match="no usable random test point"):
            sample_points(sheet.exercises[0], 0, file="s.yaml")


def test_a_derivative_too_large_is_refused_before_it_is_computed():
    from gradcheck.spec.sampling import sample_points

    sheet = parse_sheet(spec(function="sin(x)", shape="[64, 64]"), file="s.yaml")
    with pytest.raises(SpecError, match="has 16777216 entries; at most 4194304"):
        sample_points(sheet.exercises[0], 0, file="s.yaml")
