"""Data inputs and parameters of an exercise, read from located YAML (used by the reader).

*Data inputs* receive no gradient and are never ``wrt``: integer class labels and index
arrays (``dtype: int`` with a ``range``), boolean masks (``dtype: bool``) and 0/1 masks
(``dtype: mask``), each with a ``keep`` probability. They reach the student with their dtype
and index arrays in expressions (``x[arange(N), y]``).

*Parameters* (``params``) are plain values passed to the student as given, after the inputs:
numbers, true/false, text, lists of numbers, or a mapping of such (``conv_param: {stride: 2,
pad: 1}``). In expressions a number (or list) is a constant of its own name, and an entry of
a mapping is a constant named ``<param>_<key>`` (``conv_param_stride``).

>>> from gradcheck.spec.yamlfile import load_located
>>> data = load_located("params: {eps: 1.0e-5, conv_param: {stride: 2, pad: 1}}", "s.yaml")
>>> params, constants = read_params(FieldReader("s.yaml"), data, {"x"})
>>> params["conv_param"], sorted(constants)
({'stride': 2, 'pad': 1}, ['conv_param_pad', 'conv_param_stride', 'eps'])
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from gradcheck.spec.bounds import MAX_MAGNITUDE
from gradcheck.spec.fields import FieldReader, type_name
from gradcheck.spec.located import LocatedDict

DTYPES = ("float", "int", "bool", "mask")
DATA_KEYS = ("dtype", "range", "keep")
MAX_PARAM_ITEMS = 64          # entries of one list or mapping parameter
MAX_TEXT = 200                # characters of a text parameter
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def read_data_input(reader: FieldReader, spec: LocatedDict, name: str,
                    sizes: Mapping[str, Any]) -> dict[str, Any]:
    """The data fields of one input (``dtype``, ``range``, ``keep``) for ``InputSpec``.

    >>> from gradcheck.spec.yamlfile import load_located
    >>> spec = load_located("{dtype: int, range: [0, C]}", "s.yaml")
    >>> read_data_input(FieldReader("s.yaml"), spec, "y", {"C": (3, 5)})
    {'dtype': 'int', 'range': (0, 'C')}
    """
    dtype = spec.get("dtype", "float")
    if dtype not in DTYPES:
        raise reader.error(f"unknown dtype {dtype!r} (allowed: {', '.join(DTYPES)})", spec,
                           "dtype")
    fields: dict[str, Any] = {"dtype": dtype} if dtype != "float" else {}
    if spec.get("range") is not None:
        if dtype != "int":
            raise reader.error("only an input with dtype: int has a range", spec, "range")
        fields["range"] = _range(reader, spec, sizes)
    elif dtype == "int":
        raise reader.error("an input with dtype: int needs a range [low, high] (entries are "
                           "drawn from low to high - 1, like Python's range)", spec, "dtype")
    if spec.get("keep") is not None:
        if dtype not in ("bool", "mask"):
            raise reader.error("only a bool or mask input has a keep probability", spec, "keep")
        keep = reader.number(spec["keep"], spec, "keep")
        if not 0 < keep < 1:
            raise reader.error(f"a keep probability is between 0 and 1 (exclusive), not "
                               f"{keep:g}", spec, "keep")
        fields["keep"] = keep
    if dtype != "float" and spec.get("domain") is not None:
        raise reader.error(f"a {dtype} input has no domain (it is data: "
                           + ("give a range" if dtype == "int" else "give a keep probability")
                           + ")", spec, "domain")
    return fields


def _range(reader: FieldReader, spec: LocatedDict, sizes: Mapping[str, Any]
           ) -> tuple[int | str, int | str]:
    value = spec["range"]
    if not isinstance(value, list) or len(value) != 2:
        raise reader.error("a range is [low, high]: integers or size names", spec, "range")
    bounds: list[int | str] = []
    for bound in value:
        if isinstance(bound, int) and not isinstance(bound, bool):
            bounds.append(bound)
        elif isinstance(bound, str) and bound in sizes:
            bounds.append(bound)
        else:
            raise reader.error(f"range bound {bound!r} is neither an integer nor a size "
                               "declared under 'sizes'", spec, "range")
    low, high = (b if isinstance(b, int) else sizes[b][0] for b in bounds)
    if not low < high:   # with the smallest sizes: every draw must have a value to take
        raise reader.error(f"an empty range {value}: low must be below high", spec, "range")
    return bounds[0], bounds[1]


def read_params(reader: FieldReader, data: LocatedDict, names: set[str]
                ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(params, constants)``: the parameters as given, and the constants they define for
    expressions (a mapping's entries flattened to ``<param>_<key>``)."""
    if data.get("params") is None:
        return {}, {}
    raw = reader.mapping(data["params"], data, "params")
    params: dict[str, Any] = {}
    constants: dict[str, np.ndarray] = {}
    for name, value in raw.items():
        if not isinstance(name, str) or not _IDENTIFIER.match(name) or name in names \
                or name in ("pi", "e"):
            raise reader.error(f"{name!r} is not a valid parameter name (or clashes with an "
                               "input)", raw, str(name))
        if isinstance(value, dict):
            if len(value) > MAX_PARAM_ITEMS:
                raise reader.error(f"a mapping parameter has at most {MAX_PARAM_ITEMS} "
                                   "entries", raw, name)
            entries = {}
            for key, item in value.items():
                if not isinstance(key, str) or not _IDENTIFIER.match(key):
                    raise reader.error(f"{key!r} is not a valid key (a name)", raw, name)
                entries[key] = _plain(reader, item, raw, name)
                number = _as_constant(item)
                if number is not None:
                    constants[f"{name}_{key}"] = number
            params[name] = entries
        else:
            params[name] = _plain(reader, value, raw, name)
            number = _as_constant(value)
            if number is not None:
                constants[name] = number
    for constant in constants:
        if constant in names:
            raise reader.error(f"the parameter constant {constant!r} clashes with an input",
                               raw, constant.partition("_")[0])
    return params, constants


def _plain(reader: FieldReader, value: Any, where: LocatedDict, key: str) -> Any:
    """A parameter value as the student receives it: a number, bool, text or list of numbers."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise reader.error("a parameter must be finite", where, key)
        if abs(value) > MAX_MAGNITUDE:
            shown = f"{value:g}" if isinstance(value, float) else f"{len(str(abs(value)))} digits"
            raise reader.error(f"a number parameter is at most {MAX_MAGNITUDE:g} in magnitude, "
                               f"not {shown}", where, key)
        return value
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise reader.error(f"a text parameter has at most {MAX_TEXT} characters", where,
                               key)
        return str(value)
    if isinstance(value, list):
        if len(value) > MAX_PARAM_ITEMS or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            raise reader.error(f"a list parameter holds at most {MAX_PARAM_ITEMS} numbers",
                               where, key)
        return [_plain(reader, v, where, key) for v in value]
    raise reader.error(f"a parameter is a number, true/false, text, a list of numbers or a "
                       f"mapping of those, not {type_name(value)}", where, key)


def _as_constant(value: Any) -> np.ndarray | None:
    if isinstance(value, bool) or isinstance(value, str) or value is None:
        return None
    return np.array(value, dtype=float)
