"""Hints added to the messages a student reads: the name they probably meant."""

from __future__ import annotations

import difflib
from collections.abc import Mapping


def did_you_mean(name: str, defs: Mapping[str, Mapping], kind: str) -> str:
    """`` (did you mean d1a?)`` when the submission defines a ``kind`` ("function", "class")
    with a name close to ``name``; "" otherwise.

    >>> did_you_mean("d_1a", {"d1a": {"kind": "function"}, "np": {"kind": "other"}}, "function")
    ' (did you mean d1a?)'
    >>> did_you_mean("d_1a", {"helper": {"kind": "function"}}, "function")
    ''
    """
    names = [n for n, d in defs.items() if isinstance(d, Mapping) and d.get("kind") == kind]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6) or \
        [n for n in names if n.lower() == name.lower()]
    return f" (did you mean {close[0]}?)" if close else ""
