"""Results as JSON data, in the one convention of every JSON gradcheck writes: a float
that is not finite is the string ``"nan"``, ``"inf"`` or ``"-inf"`` (strict JSON, which
JavaScript's ``JSON.parse`` reads), whatever field it stands in.

>>> decode_float(encode_float(float("-inf")))
-inf
"""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring_ascii
from typing import Any

_NONFINITE = {"nan": '"nan"', "inf": '"inf"', "-inf": '"-inf"'}


def encode_float(value: float | None) -> float | str | None:
    """A float as JSON data: finite floats stay, NaN and infinities become strings."""
    if value is None:
        return None
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def json_data(data: Any) -> Any:
    """``data`` with every non-finite float, at any depth, written as :func:`encode_float`
    does: the one convention of every JSON gradcheck writes.

    >>> json_data({"x": [1.0, float("nan")], "t": (float("-inf"), "inf")})
    {'x': [1.0, 'nan'], 't': ['-inf', 'inf']}
    """
    if isinstance(data, float):
        return encode_float(data)
    if isinstance(data, dict):
        return {key: json_data(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [json_data(value) for value in data]
    return data


def strict_json(data: Any, **options: Any) -> str:
    """``json.dumps`` of :func:`json_data`: strict JSON (no bare ``NaN`` or ``Infinity``,
    which JavaScript's ``JSON.parse`` rejects). ``options`` go to ``json.dumps``; with
    ``indent`` alone, the text is written by :func:`_indented`, character for character what
    ``json.dumps`` writes (whose indented writer is pure Python, ~3x slower).

    >>> strict_json({"received": float("inf"), "score": 2.0})
    '{"received": "inf", "score": 2.0}'
    """
    if options.keys() == {"indent"} and type(options["indent"]) is int:
        try:
            return _indented(data, options["indent"])
        except _Unusual:
            pass   # json.dumps writes it, or raises what it raises
    try:   # most data holds no float that is not finite: written as it is, without a copy
        return json.dumps(data, allow_nan=False, **options)
    except ValueError:
        return json.dumps(json_data(data), allow_nan=False, **options)


def decode_float(value: float | str | None) -> float | None:
    """Inverse of :func:`encode_float`."""
    if value is None:
        return None
    return float(value)


class _Unusual(Exception):
    """Data :func:`_indented` leaves to ``json.dumps``: keys that are not strings, values
    that are not JSON types (json.dumps raises for them), nesting too deep."""


def _float(value: float) -> str:
    text = float.__repr__(value)
    return _NONFINITE.get(text, text)


# How json.dumps writes a scalar of each exact type (other types, subclasses too: _scalar).
_WRITERS = {str: encode_basestring_ascii, int: int.__repr__, float: _float,
            bool: lambda value: "true" if value else "false", type(None): lambda _: "null"}


def _scalar(value: Any) -> str | None:
    if isinstance(value, str):
        return encode_basestring_ascii(value)
    if isinstance(value, int):   # True and False were written by _WRITERS
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    return None


def _indented(data: Any, indent: int) -> str:
    """``json.dumps(json_data(data), indent=indent)``, written by one recursive pass.

    >>> print(_indented({"a": [1, 2.5, None], "b": {}, "c": float("nan")}, 2))
    {
      "a": [
        1,
        2.5,
        null
      ],
      "b": {},
      "c": "nan"
    }
    """
    parts: list[str] = []
    append = parts.append
    writers = _WRITERS

    def write(value: Any, level: int) -> None:
        kind = type(value)
        if kind is dict:
            if not value:
                append("{}")
                return
            inner = "\n" + " " * (indent * (level + 1))
            separator = "{" + inner
            for key, item in value.items():
                if type(key) is not str:
                    raise _Unusual
                writer = writers.get(type(item))
                if writer is None:
                    append(separator + encode_basestring_ascii(key) + ": ")
                    write(item, level + 1)
                else:
                    append(separator + encode_basestring_ascii(key) + ": " + writer(item))
                separator = "," + inner
            append("\n" + " " * (indent * level) + "}")
        elif kind is list or kind is tuple:
            if not value:
                append("[]")
                return
            inner = "\n" + " " * (indent * (level + 1))
            separator = "[" + inner
            for item in value:
                writer = writers.get(type(item))
                if writer is None:
                    append(separator)
                    write(item, level + 1)
                else:
                    append(separator + writer(item))
                separator = "," + inner
            append("\n" + " " * (indent * level) + "]")
        else:
            text = writers[kind](value) if kind in writers else _scalar(value)
            if text is None:
                if isinstance(value, dict):
                    write(dict(value), level)
                elif isinstance(value, (list, tuple)):
                    write(list(value), level)
                else:
                    raise _Unusual
            else:
                append(text)

    try:
        write(data, 0)
    except RecursionError:
        raise _Unusual from None
    return "".join(parts)
