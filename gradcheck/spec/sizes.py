"""Sizes with arithmetic: dimensions such as ``d1*d2`` or ``(H + 2*pad - HH) // stride + 1``, and
the values of size names when an exercise's function is evaluated.

A dimension in a shape is an integer, a size name, or a *size formula*: integer arithmetic
(``+ - * // %``, unary minus, parentheses) over integers and size names, read with an
allow-list of ``ast`` nodes (never ``eval``). Size names are usable in expressions too
(``sqrt(d)``, ``reshape(x, (N, -1))``, ``a[:, H:2*H]``): their values are read back from the
inputs' shapes (a size drawn from a range must be a whole dimension of some input) or are the
size's fixed value.

>>> f = formula("(H + 2*pad - HH) // stride + 1")
>>> sorted(f.names), f.value({"H": 8, "pad": 1, "HH": 3, "stride": 2})
(['H', 'HH', 'pad', 'stride'], 4)
"""

from __future__ import annotations

import ast
import functools
import itertools
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gradcheck.errors import EvaluationError

MAX_FORMULA = 200          # characters of one size formula
MAX_VALUE = 10**6          # largest magnitude of any intermediate value of a formula
MAX_DERIVED = 4096         # largest derived size (d1*d2 of two sizes up to 64)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_OPS: dict[type, Callable[[int, int], int]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}


@dataclass(frozen=True)
class Formula:
    """A parsed size formula: its text and the size names it uses."""

    text: str
    names: frozenset[str]
    tree: ast.AST

    def value(self, sizes: Mapping[str, int]) -> int:
        """The formula's integer value for the given sizes (EvaluationError if a name has no
        value, on a division by zero, or past ``MAX_VALUE``)."""
        return _value(self.tree, sizes, self.text)


def is_name(dim: Any) -> bool:
    """Whether ``dim`` is a plain size name (not an integer, not a formula).

    >>> is_name("n"), is_name("d1*d2"), is_name(3)
    (True, False, False)
    """
    return isinstance(dim, str) and bool(_NAME.match(dim))


@functools.lru_cache(maxsize=256)
def formula(text: str) -> Formula:
    """Parse a size formula; ``ValueError`` with a readable message if it is not one."""
    if len(text) > MAX_FORMULA:
        raise ValueError(f"a size formula has at most {MAX_FORMULA} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise ValueError(f"{text!r} is not a size formula (integers and size names with "
                         "+ - * // % and parentheses)") from None
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.BinOp) and type(node.op) not in _OPS:
            raise ValueError(f"{text!r}: a size formula uses + - * // % only (// rounds down; "
                             "/ is not allowed)")
        elif isinstance(node, ast.UnaryOp) and not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise ValueError(f"{text!r}: only unary - and + are allowed in a size formula")
        elif isinstance(node, ast.Constant) and type(node.value) is not int:
            raise ValueError(f"{text!r}: a size formula has integer numbers only")
        elif not isinstance(node, (ast.Name, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Load,
                                   ast.operator, ast.unaryop)):
            raise ValueError(f"{text!r}: {type(node).__name__} is not allowed in a size formula "
                             "(integers and size names with + - * // % and parentheses)")
    return Formula(text, frozenset(names), tree)


def _value(node: ast.AST, sizes: Mapping[str, int], text: str) -> int:
    if isinstance(node, ast.Constant):
        result = node.value
    elif isinstance(node, ast.Name):
        if node.id not in sizes:
            raise EvaluationError(f"size formula {text!r}: no value for {node.id!r}")
        result = int(sizes[node.id])
    elif isinstance(node, ast.UnaryOp):
        result = _value(node.operand, sizes, text)
        result = -result if isinstance(node.op, ast.USub) else result
    else:
        left, right = _value(node.left, sizes, text), _value(node.right, sizes, text)
        if right == 0 and type(node.op) in (ast.FloorDiv, ast.Mod):
            raise EvaluationError(f"size formula {text!r} divides by zero")
        result = _OPS[type(node.op)](left, right)
    if abs(result) > MAX_VALUE:
        raise EvaluationError(f"size formula {text!r} exceeds {MAX_VALUE}")
    return result


def dimension(dim: int | str, sizes: Mapping[str, int]) -> int:
    """The length of one dimension (an integer, a size name or a formula) for ``sizes``.

    >>> dimension("d1*d2", {"d1": 2, "d2": 3})
    6
    """
    if isinstance(dim, int):
        return dim
    if is_name(dim):
        if dim not in sizes:
            raise EvaluationError(f"no value for the size {dim!r}")
        return int(sizes[dim])
    return formula(dim).value(sizes)


def read_back(dims_by_input: Mapping[str, tuple[int | str, ...]],
              shapes: Mapping[str, tuple[int, ...]], fixed: Mapping[str, int],
              derived: Mapping[str, str] | None = None) -> dict[str, int]:
    """The sizes that the inputs' actual ``shapes`` show (plain size names as whole
    dimensions), plus the ``fixed`` ones, plus the ``derived`` ones computable from those.

    >>> read_back({"x": ("N", "d1*d2")}, {"x": (4, 6)}, {"d1": 2}, {"M": "2*N"})
    {'d1': 2, 'N': 4, 'M': 8}
    """
    sizes = dict(fixed)
    for name, dims in dims_by_input.items():
        shape = shapes.get(name)
        if shape is None or len(shape) != len(dims):
            continue
        for dim, n in zip(dims, shape, strict=True):
            if is_name(dim):
                sizes.setdefault(dim, int(n))
    for name, text in (derived or {}).items():  # in order: each may use the ones before it
        if name not in sizes and formula(text).names <= set(sizes):
            sizes[name] = formula(text).value(sizes)
    return sizes


def largest_formula(text: str, sizes: Mapping[str, tuple[int, int]]) -> int | None:
    """The largest value of a formula at the corners of its sizes' ranges (exact for the
    formulas shapes use, which grow or shrink with each size), or None if it is not one.

    >>> largest_formula("(H + 2*pad - HH) // stride + 1", {"H": (4, 8), "pad": (1, 1),
    ...                 "HH": (3, 3), "stride": (1, 2)})
    8
    """
    try:
        f = formula(text)
        names = sorted(f.names)
        if not set(names) <= set(sizes) or len(names) > 8:
            return None
        return max(f.value(dict(zip(names, corner, strict=True)))
                   for corner in itertools.product(*(sizes[n] for n in names)))
    except (ValueError, EvaluationError):
        return None


def read_formula(reader: Any, text: str, where: Any, key: str, sizes: Mapping[str, Any]) -> str:
    """A dimension computed from sizes (``d1*d2``, ``(H + 2*pad - HH) // stride + 1``), checked
    by the spec ``reader`` (its errors name file, line and key)."""
    try:
        unknown = sorted(formula(text).names - set(sizes))
    except ValueError as exc:
        raise reader.error(str(exc), where, key) from None
    if unknown:
        raise reader.error(f"dimension {text!r} uses {', '.join(map(repr, unknown))}, not "
                           f"declared under 'sizes' ({', '.join(sizes) or 'none'})", where, key)
    return text


def read_derived(reader: Any, text: str, where: Any, name: str,
                 sizes: Mapping[str, tuple[int, int]]) -> tuple[int, int]:
    """The range of a derived size (a formula of the sizes declared above it), checked: at
    least 1 and at most ``MAX_DERIVED`` for every combination of their ranges' ends."""
    read_formula(reader, text, where, name, sizes)
    f = formula(text)
    names = sorted(f.names)
    if len(names) > 8:
        raise reader.error("a derived size uses at most 8 sizes", where, name)
    try:
        values = [f.value(dict(zip(names, corner, strict=True)))
                  for corner in itertools.product(*(sizes[n] for n in names))]
    except EvaluationError as exc:
        raise reader.error(str(exc), where, name) from None
    low, high = min(values), max(values)
    if not 1 <= low or high > MAX_DERIVED:
        raise reader.error(f"{text!r} ranges over {low} to {high} for the sizes' ranges; a "
                           f"derived size must stay within 1..{MAX_DERIVED}", where, name)
    return low, high


def check_readable(reader: Any, data: Any, sizes: Mapping[str, tuple[int, int]],
                   inputs: tuple[Any, ...], used: set[str],
                   derived: Mapping[str, str] | None = None) -> None:
    """A size drawn from a range that an expression uses must be a whole dimension of some
    input (or a derived size of such), so that its value can be read back from the inputs'
    shapes."""
    plain = {d for i in inputs if not isinstance(i.shape, str) for d in i.shape}
    derived = derived or {}
    for name, text in derived.items():
        if formula(text).names <= plain | {n for n, (lo, hi) in sizes.items() if lo == hi}:
            plain.add(name)
    for name in sorted(used & set(sizes)):
        low, high = sizes[name]
        if low != high and name not in plain:
            raise reader.error(f"size {name!r} is drawn from a range and used in an "
                               "expression, but no input has it as a whole dimension, so its "
                               "value cannot be known: give an input that dimension, or fix "
                               "the size", data, "sizes")
