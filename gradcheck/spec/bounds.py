"""Upper bounds on every number and size in a spec, so that no spec can crash the grader, make
it allocate GiBs or run for hours: each bound broken is a ``file:line: key:`` SpecError.

- the document: at most :data:`MAX_DOCUMENT` bytes, and at most :data:`MAX_NODES` YAML nodes
  once every alias is expanded (an alias bomb fails here, before anything is built from it);
- points per exercise (:data:`MAX_POINTS`), the sheet's timeout (:data:`MAX_TIMEOUT`) and
  seed (:data:`MAX_SEED`), tolerances (:data:`MAX_RTOL`, :data:`MAX_ATOL`);
- domains, fixed test points and number parameters: finite, within ±:data:`MAX_MAGNITUDE`;
- inputs: at most :data:`MAX_NDIM` axes and :data:`MAX_INPUT_ELEMENTS` entries at the largest
  sizes, and an exercise's inputs and constants at most :data:`MAX_EXERCISE_ELEMENTS` entries
  together; a reference derivative at most :data:`MAX_JACOBIAN` entries (f's entries times
  the input's, checked when a test point is drawn).

>>> check_document("a: 1\\n", "s.yaml")
>>> largest_elements((3, "n"), {"n": (1, 64)}, {})
192
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from gradcheck.errors import SpecError
from gradcheck.spec.sizes import largest_formula

if TYPE_CHECKING:   # PyYAML is imported where YAML is parsed (a bundled spec may not be)
    import yaml

MAX_DOCUMENT = 1 << 20             # bytes of YAML text
MAX_NODES = 100_000                # YAML nodes with every alias expanded
MAX_POINTS = 1000                  # points of one exercise
MAX_TIMEOUT = 3600.0               # the sheet's timeout, seconds (as --timeout)
MAX_SEED = 2**63 - 1               # the sheet's seed
MAX_RTOL = 1.0
MAX_ATOL = 1e6
MAX_MAGNITUDE = 1e9                # |low| and |high| of a domain
MAX_NDIM = 8                       # axes of one input
MAX_INPUT_ELEMENTS = 1 << 12       # entries of one input at its largest sizes (64 x 64)
MAX_EXERCISE_ELEMENTS = 1 << 16    # entries of an exercise's inputs and constants together
MAX_JACOBIAN = 1 << 22             # entries of one reference derivative (32 MiB)


def check_document(text: str, file: str) -> None:
    """A spec's text must be at most :data:`MAX_DOCUMENT` bytes (checked before parsing)."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_DOCUMENT:
        raise SpecError(f"the spec is {size} bytes; at most {MAX_DOCUMENT} are read",
                        file=file, line=1)


def check_expansion(root: yaml.Node | None, file: str) -> None:
    """The composed document must hold at most :data:`MAX_NODES` nodes with its aliases
    expanded. Counted once per distinct node (linear in the text, bounded memory); the
    error names the innermost entry that is too large, where the repetition is.

    >>> import yaml
    >>> check_expansion(yaml.compose("a: &x [1, 2]\\nb: [*x, *x]\\n"), "s.yaml")
    """
    import yaml

    if root is None:
        return
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node, yaml.MappingNode, yaml.SequenceNode)
        if children_done or not children:
            total = 1 + sum(sizes[id(c)] for c in children)
            sizes[id(node)] = min(total, MAX_NODES + 1)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    if sizes[id(root)] <= MAX_NODES:
        return
    node, key = root, None
    while True:   # down to the innermost node that is still too large
        inner = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if sizes[id(v)] > MAX_NODES:
                    inner, key = v, getattr(k, "value", None)
                    break
        elif isinstance(node, yaml.SequenceNode):
            inner = next((c for c in node.value if sizes[id(c)] > MAX_NODES), None)
        if inner is None:
            break
        node = inner
    raise SpecError(f"with its aliases expanded the spec has more than {MAX_NODES} entries "
                    "(an alias repeated inside aliases?)", file=file,
                    line=node.start_mark.line + 1, key=key if isinstance(key, str) else None)


def _children(node: yaml.Node, mapping: type, sequence: type) -> list[yaml.Node]:
    if isinstance(node, mapping):
        return [n for pair in node.value for n in pair]
    if isinstance(node, sequence):
        return list(node.value)
    return []


def largest_elements(shape: Any, sizes: Mapping[str, tuple[int, int]],
                     shapes: Mapping[str, Any]) -> int:
    """Entries of an input of ``shape`` at the largest sizes: a dimension is an integer or a
    size name (its upper bound) or a formula of sizes (its largest value at the corners of the
    sizes' ranges); a shape named under ``shapes`` counts its largest choice; any other
    dimension counts as 64 (the largest size)."""
    if isinstance(shape, str):
        choices = shapes.get(shape) or ((),)
        return max(largest_elements(tuple(c), sizes, shapes) for c in choices)
    total = 1
    for dim in shape:
        if isinstance(dim, int) and not isinstance(dim, bool):
            total *= dim
        elif isinstance(dim, str) and dim in sizes:
            total *= sizes[dim][1]
        elif isinstance(dim, str) and (largest := largest_formula(dim, sizes)) is not None:
            total *= largest
        else:
            total *= 64
    return total


def check_drawn(exercise: str, name: str, shape: tuple[int, ...]) -> None:
    """The shape drawn for an input must hold at most :data:`MAX_INPUT_ELEMENTS` entries (the
    reader's bound counts dimensions it cannot size as 64; this holds whatever they are).

    >>> check_drawn("1a", "x", (64, 64))
    >>> check_drawn("1a", "x", (64, 65))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gradcheck.errors.SpecError: <spec>: exercise 1a: input 'x' ... 4160 entries; at most 4096 ...
    """
    elements = math.prod(shape)
    if elements > MAX_INPUT_ELEMENTS or len(shape) > MAX_NDIM:
        raise SpecError(f"input {name!r} drawn with shape {shape}: {elements} entries; at "
                        f"most {MAX_INPUT_ELEMENTS} are allowed", exercise=exercise)


def check_jacobian(exercise: str, out_shape: tuple[int, ...],
                   wrt: Mapping[str, tuple[int, ...]]) -> None:
    """A derivative of f with respect to each ``wrt`` input holds f's entries times the
    input's: at most :data:`MAX_JACOBIAN` (checked on f's value, before it is computed).

    >>> check_jacobian("1a", (64,), {"x": (64, 64)})
    >>> check_jacobian("1a", (64, 64), {"x": (64, 64)})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gradcheck.errors.SpecError: <spec>: exercise 1a: the derivative ... 16777216 entries; ...
    """
    out = math.prod(out_shape)
    for name, shape in wrt.items():
        entries = out * math.prod(shape)
        if entries > MAX_JACOBIAN:
            raise SpecError(f"the derivative of f (shape {out_shape}) with respect to "
                            f"{name!r} (shape {shape}) has {entries} entries; at most "
                            f"{MAX_JACOBIAN} are allowed", exercise=exercise)


def check_sheet(reader: Any, data: Any, sheet: Any) -> None:
    """Every bound of the module's docstring on a sheet the reader has built (``data`` is the
    located YAML it came from, for the lines); the first broken one is a SpecError."""
    if sheet.timeout is not None and sheet.timeout > MAX_TIMEOUT:
        raise reader.error(f"must be at most {MAX_TIMEOUT:g} seconds", data, "timeout")
    if sheet.seed > MAX_SEED:
        raise reader.error(f"must be at most 2**63 - 1, not {sheet.seed}", data, "seed")
    _check_tolerance(reader, data)
    items = [item for item in data["exercises"] if isinstance(item, dict)]
    for exercise, item in zip(sheet.exercises, items, strict=True):
        if exercise.points > MAX_POINTS:
            raise reader.error(f"must be at most {MAX_POINTS}, not {exercise.points:g}", item,
                               "points")
        _check_tolerance(reader, item)
        if not exercise.inputs:
            continue
        _check_inputs(reader, item, exercise)
        _check_points_at(reader, item, exercise)


def _check_tolerance(reader: Any, mapping: Any) -> None:
    tolerance = mapping.get("tolerance")
    if not isinstance(tolerance, dict):
        return
    for key, bound in (("rtol", MAX_RTOL), ("atol", MAX_ATOL)):
        if tolerance.get(key) is None:
            continue
        value = reader.number(tolerance[key], tolerance, key)   # "1e300" is text in YAML
        if value > bound:
            raise reader.error(f"must be at most {bound:g}, not {value:g}", tolerance, key)


def _check_points_at(reader: Any, item: Any, exercise: Any) -> None:
    located = item.get("points_at")
    if not isinstance(located, list):
        return
    for i, point in enumerate(exercise.points_at):
        for name, value in point.items():
            if name == "random":
                continue
            array = np.asarray(value, dtype=float)
            if not np.all(np.isfinite(array)) or np.any(np.abs(array) > MAX_MAGNITUDE):
                raise reader.error(f"value of {name!r} must be finite and within "
                                   f"±{MAX_MAGNITUDE:g}", item, "points_at",
                                   line=located.line_of(i))
            if array.size > MAX_INPUT_ELEMENTS:
                raise reader.error(f"value of {name!r} has {array.size} entries; at most "
                                   f"{MAX_INPUT_ELEMENTS} are allowed", item, "points_at",
                                   line=located.line_of(i))


def _check_inputs(reader: Any, item: Any, exercise: Any) -> None:
    specs = item.get("inputs") or {}
    sizes, shapes = exercise.sizes, exercise.shapes
    total = 0
    for spec in exercise.inputs:
        located = specs.get(spec.name)
        if isinstance(located, dict):
            shape_key, domain_key = "shape", "domain"
        else:   # written as `x:` alone: the line of the name
            located, shape_key, domain_key = specs, spec.name, spec.name
        for low, high in spec.domain:
            if max(abs(low), abs(high)) > MAX_MAGNITUDE:
                raise reader.error(f"domain bounds must lie within ±{MAX_MAGNITUDE:g}, not "
                                   f"[{low:g}, {high:g}]", located, domain_key)
        choices = ([tuple(c) for c in shapes.get(spec.shape, ())]
                   if isinstance(spec.shape, str) else [tuple(spec.shape)])
        if any(len(c) > MAX_NDIM for c in choices):
            raise reader.error(f"input {spec.name!r} has more than {MAX_NDIM} axes", located,
                               shape_key)
        elements = largest_elements(spec.shape, sizes, shapes)
        if elements > MAX_INPUT_ELEMENTS:
            raise reader.error(f"input {spec.name!r} has up to {elements} entries; at most "
                               f"{MAX_INPUT_ELEMENTS} are allowed (e.g. 64 x 64)", located,
                               shape_key)
        total += elements
    constants = exercise.constants or {}
    total += sum(int(np.size(value)) for value in constants.values())
    if total > MAX_EXERCISE_ELEMENTS:
        raise reader.error(f"the inputs and constants hold up to {total} entries together; "
                           f"at most {MAX_EXERCISE_ELEMENTS} are allowed", item,
                           "constants" if constants else "inputs")
