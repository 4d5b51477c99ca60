"""The code cells of a notebook, as the worker runs them.

Part of the standalone worker (standard library only, never imports ``gradcheck``).
"""

from __future__ import annotations

import json

MAGIC_PREFIXES = ("%", "!")


def prepare_cell(source: str) -> str | None:
    """A notebook cell as Python: None for a cell magic, magic/shell lines become ``pass``."""
    lines = source.splitlines(keepends=True)
    first = next((ln.strip() for ln in lines if ln.strip()), "")
    if first.startswith("%%"):
        return None
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(MAGIC_PREFIXES):
            indent = line[: len(line) - len(stripped)]
            line = indent + "pass" + ("\n" if line.endswith("\n") else "")
        out.append(line)
    return "".join(out)


def notebook_cells(raw: bytes) -> list[tuple[int, str]]:
    """(cell number, code) of each code cell; cells are numbered from 1 among all cells."""
    notebook = json.loads(raw.decode("utf-8-sig"))
    cells = notebook.get("cells")
    if cells is None:  # nbformat 3
        cells = (notebook.get("worksheets") or [{}])[0].get("cells", [])
    result = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        result.append((number, str(source)))
    return result
