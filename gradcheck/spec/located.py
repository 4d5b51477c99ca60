"""Parsed YAML that remembers where it came from: ``dict``/``list`` subclasses that carry the
line of the container and of each key or item, so spec errors can name the line.

Made by :func:`gradcheck.spec.yamlfile.load_located` (from YAML) and by
:mod:`gradcheck.spec.frozen` (a bundled spec parsed ahead of time); this module imports
neither PyYAML nor anything else.

>>> data = LocatedDict(a=1)
>>> data.line, data.lines = 3, {"a": 4}
>>> data.line_of("a"), data.line_of("b")
(4, 3)
"""

from __future__ import annotations

from typing import Any


class Located:
    """Mixin: the line of the container itself and of each key / item (1-based)."""

    line: int = 0
    lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.lines.get(key, self.line)


class LocatedDict(dict, Located):
    pass


class LocatedList(list, Located):
    pass
