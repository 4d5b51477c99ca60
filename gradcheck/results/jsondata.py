"""Results as JSON data, in the one convention of every JSON gradcheck writes: a float
that is not finite is the string ``"nan"``, ``"inf"`` or ``"-inf"`` (strict JSON, which
JavaScript's ``JSON.parse`` reads), whatever field it stands in.

>>> decode_float(encode_float(float("-inf")))
-inf
"""

from __future__ import annotations

import json
import math
from typing import Any


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
    which JavaScript's ``JSON.parse`` rejects). ``options`` go to ``json.dumps``.

    >>> strict_json({"received": float("inf"), "score": 2.0})
    '{"received": "inf", "score": 2.0}'
    """
    try:   # most data holds no float that is not finite: written as it is, without a copy
        return json.dumps(data, allow_nan=False, **options)
    except ValueError:
        return json.dumps(json_data(data), allow_nan=False, **options)


def decode_float(value: float | str | None) -> float | None:
    """Inverse of :func:`encode_float`."""
    if value is None:
        return None
    return float(value)
