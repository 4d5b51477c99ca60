"""Where a function's ``def`` sits in the raw text of a notebook (.ipynb) file.

A notebook is JSON: each line of a code cell is a JSON string, usually on a line of its own
(``    "def d_1a(x):\\n",``). Annotations on GitHub point at lines of the file as stored, so
the line of a student's function in a notebook is the line of the raw ``.ipynb`` that holds
its ``def`` (the last one, as the last definition run is the one graded), not a line of the
code the cells make up.
"""

from __future__ import annotations

import re
from pathlib import Path

MAX_BYTES = 64 * 1024 * 1024


def ipynb_line(path: str | Path, name: str, *, kind: str = "function") -> int | None:
    """The 1-based line of the raw notebook file holding the last ``def name(`` (``class
    name`` for ``kind="class"``) that starts a line of a cell's source, or None.

    >>> import json, tempfile
    >>> nb = {"cells": [{"cell_type": "code", "source": ["import numpy as np\\n",
    ...       "\\n", "def d_1a(x):\\n", "    return x\\n"]}]}
    >>> path = Path(tempfile.mkdtemp()) / "s.ipynb"
    >>> _ = path.write_text(json.dumps(nb, indent=1))
    >>> lines = path.read_text().splitlines()
    >>> lines[ipynb_line(path, "d_1a") - 1].strip()
    '"def d_1a(x):\\\\n",'
    """
    keyword = "class" if kind == "class" else r"(?:async[ \t]+)?def"
    # a source line starts right after a JSON string's opening quote or an escaped newline
    pattern = re.compile(r'(?:(?<!\\)"|\\n)[ \t]*' + keyword + r"[ \t]+"
                         + re.escape(name) + r"\b")
    try:
        path = Path(path)
        if path.stat().st_size > MAX_BYTES:
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    found = None
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line):
            found = number
    return found
