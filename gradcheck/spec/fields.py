"""Typed fields of located YAML data (:mod:`gradcheck.spec.yamlfile`), with errors that name
the file, the line and the key. :class:`gradcheck.spec.reader.SheetReader` builds on it.

>>> from gradcheck.spec.yamlfile import load_located
>>> data = load_located("a: 1\\nb: [1, 2]\\n", "s.yaml")
>>> FieldReader("s.yaml").positive(data, "a")
1.0
>>> FieldReader("s.yaml").number(data["b"], data, "b")
Traceback (most recent call last):
    ...
gradcheck.errors.SpecError: s.yaml:2: b: must be a number, not a list
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any

from gradcheck import expr
from gradcheck.errors import ExpressionError, SpecError
from gradcheck.spec.located import LocatedDict, LocatedList


class FieldReader:
    """Reads typed fields out of located YAML data; every problem is a SpecError with the
    file, the line and the key."""

    def __init__(self, file: str):
        self.file = file

    def error(self, message: str, where: Any = None, key: str | None = None,
              line: int | None = None) -> SpecError:
        if line is None and isinstance(where, (LocatedDict, LocatedList)):
            line = where.line_of(key) if key is not None else where.line
        return SpecError(message, file=self.file, line=line, key=key)

    def check_keys(self, mapping: Any, allowed: tuple[str, ...], what: str) -> None:
        for key in mapping:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise self.error(f"unknown key in {what}{hint} (allowed: {', '.join(allowed)})",
                                 mapping, str(key), line=mapping.line_of(key))

    def mapping(self, value: Any, where: Any, key: str) -> LocatedDict:
        if not isinstance(value, dict):
            raise self.error(f"must be a mapping, not {type_name(value)}", where, key)
        return value

    def require(self, mapping: LocatedDict, key: str, what: str) -> Any:
        if key not in mapping or mapping[key] is None:
            raise self.error(f"missing (every {what} needs {key!r})", mapping, key,
                             line=mapping.line)
        return mapping[key]

    def string(self, mapping: LocatedDict, key: str, what: str, *, pattern: re.Pattern | None
               = None, required: bool = True, default: str = "") -> str:
        if not required and mapping.get(key) is None:
            return default
        value = self.require(mapping, key, what)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.error(f"must be text, not {type_name(value)}", mapping, key)
        value = str(value)
        if pattern is not None and not pattern.match(value):
            raise self.error(f"{value!r} is not a valid name", mapping, key)
        return value

    def number(self, value: Any, where: Any, key: str) -> float:
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise self.error(f"must be a number, not {value!r}", where, key) from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(f"must be a number, not {type_name(value)}", where, key)
        try:
            finite = math.isfinite(value)
        except OverflowError:   # an integer beyond float64
            finite = False
        if not finite:
            raise self.error("must be a finite number", where, key)
        return float(value)

    def positive(self, mapping: LocatedDict, key: str) -> float:
        value = self.number(mapping[key], mapping, key)
        if value <= 0:
            raise self.error(f"must be positive, not {value:g}", mapping, key)
        return value

    def expression(self, text: Any, where: Any, key: str, variables: set[str],
                   line: int | None = None) -> expr.Expression:
        if not isinstance(text, (str, int, float)) or isinstance(text, bool):
            raise self.error(f"must be an expression (text), not {type_name(text)}", where,
                             key, line=line)
        try:
            return expr.parse(str(text), variables=sorted(variables))
        except ExpressionError as exc:
            raise self.error(str(exc), where, key, line=line) from None


def type_name(value: Any) -> str:
    for kind, name in ((type(None), "nothing"), (bool, "true/false"), (dict, "a mapping"),
                       (list, "a list"), (str, "text")):
        if isinstance(value, kind):
            return name
    return type(value).__name__
