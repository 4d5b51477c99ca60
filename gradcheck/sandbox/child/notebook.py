"""The code cells of a notebook, as the worker runs them.

Part of the standalone worker (standard library only, never imports ``gradcheck``).

IPython syntax is recognised by IPython's own rules (``IPython/core/inputtransformer2.py``):
the cell is cut into *logical* lines (a line continued inside brackets, a string or after a
backslash belongs to the line that opened it), and only the first token of a logical line can
be a magic (``%time``), a shell escape (``!ls``, ``!!ls``), a help request (``?obj``) or an
autocall escape (``/f 1 2`` is ``f(1, 2)``, run as that call); ``x = %magic`` and
``x = !cmd`` are assignments from them and ``obj?`` asks for help. The grader runs none of
the magics, shell escapes and help requests: each such line (with its backslash
continuations) is replaced by ``pass``, so that the rest of the cell runs and line numbers
stay, and is reported. A cell magic on the cell's first line runs its
body when it only times or captures it (``%%time``, ``%%capture``); any other cell magic
(``%%bash``, ``%%writefile``, ...) drops the whole cell.
"""

from __future__ import annotations

import builtins
import json
import re

ESCAPES = ("!", "?", "%")                     # IPython's escapes that the grader drops
AUTOCALL = ("/", ",", ";")                    # IPython's escapes that are plain calls
BODY_MAGICS = ("time", "capture")             # cell magics whose body runs as it is
OPENERS, CLOSERS = "([{", ")]}"
_ASSIGNED = re.compile(r"\s*(%[A-Za-z_]|!)")  # what follows '=' in x = %magic / x = !cmd
MAX_QUOTED = 10                               # dropped line numbers listed per cell
_STRING_START = re.compile(r"([rRbBuUfFtT]{0,2})('''|\"\"\"|'|\")")


def prepare_cell(source: str) -> tuple[str, list[tuple[int, str]]]:
    """A notebook cell as Python, and the lines dropped from it: ``(number, text)``.

    >>> code, dropped = prepare_cell("%matplotlib inline\\nx = (3\\n % 2)\\n")
    >>> code
    'pass\\nx = (3\\n % 2)\\n'
    >>> dropped
    [(1, '%matplotlib inline')]
    """
    lines = source.splitlines(keepends=True)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return "", []
    lines = _without_leading_indent(lines, first)
    if lines[first].startswith("%%"):
        name = lines[first][2:].split(None, 1)[0] if lines[first][2:].strip() else ""
        if name not in BODY_MAGICS:
            dropped = [(i + 1, line.rstrip("\r\n")) for i, line in enumerate(lines)
                       if line.strip()]
            return "", dropped
        lines[first] = "\n"      # the body runs; only its timing or capture is left out
        return _drop_escapes(lines)
    return _drop_escapes(lines)


def _without_leading_indent(lines: list[str], first: int) -> list[str]:
    """IPython's ``leading_indent``: the first line's indentation removed from every line."""
    indent = lines[first][:len(lines[first]) - len(lines[first].lstrip(" \t"))]
    if not indent:
        return list(lines)
    return [line[len(indent):] if line.startswith(indent) else line for line in lines]


def _drop_escapes(lines: list[str]) -> tuple[str, list[tuple[int, str]]]:
    out = list(lines)
    dropped: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        stripped = lines[i].lstrip(" \t")
        if stripped.startswith(AUTOCALL) and not lines[i].rstrip("\r\n").endswith("\\"):
            out[i] = _autocall(lines[i])
            i += 1
            continue
        if stripped.startswith(ESCAPES):
            i = _drop(out, dropped, lines, i, _continued_end(lines, i))
            continue
        end, special = _logical_line(lines, i)
        if special:
            i = _drop(out, dropped, lines, i, end)
        else:
            i = end + 1
    return "".join(out), dropped


def _autocall(line: str) -> str:
    """IPython's autocall escapes, which are plain calls: ``/f 1 2`` is ``f(1, 2)``, ``,f a b``
    is ``f("a", "b")``, ``;f a b`` is ``f("a b")``."""
    body = line.lstrip(" \t")
    indent, newline = line[:len(line) - len(body)], line[len(line.rstrip("\r\n")):]
    escape, (name, _, args) = body[0], body[1:].rstrip("\r\n").partition(" ")
    if escape == "/":
        call = f"{name}({', '.join(args.split())})"
    elif escape == ",":
        call = f"{name}({', '.join(repr(a) for a in args.split())})" if args.split() \
            else f"{name}()"
    else:
        call = f"{name}({args!r})"
    return indent + call + newline


def _drop(out: list[str], dropped: list, lines: list[str], start: int, end: int) -> int:
    """Lines ``start..end`` become ``pass`` (at the first line's indentation) and blanks."""
    for k in range(start, end + 1):
        text = lines[k]
        newline = text[len(text.rstrip("\r\n")):]
        if k == start:
            indent = text[:len(text) - len(text.lstrip(" \t"))]
            out[k] = indent + "pass" + newline
        else:
            out[k] = newline
        if text.strip():
            dropped.append((k + 1, text.strip()))
    return end + 1


def _continued_end(lines: list[str], i: int) -> int:
    """IPython's ``find_end_of_continued_line``: the last line of a backslash continuation."""
    while i + 1 < len(lines) and lines[i].rstrip("\r\n").endswith("\\"):
        i += 1
    return i


def _logical_line(lines: list[str], start: int) -> tuple[int, bool]:
    """The last physical line of the logical line starting at ``start``, and whether it is
    IPython syntax: an assignment from a magic or shell command (``x = %who``, ``x = !ls``,
    at the first ``=`` outside brackets), or a help request ending in ``?``."""
    depth = 0
    quote = ""               # the open string's delimiter
    assign_seen = False      # the first '=' outside brackets was looked at
    last = ""                # the last significant character (outside strings and comments)
    i = start
    while i < len(lines):
        text = lines[i]
        j, n = 0, len(text)
        continued = False
        while j < n:
            ch = text[j]
            if quote:
                if ch == "\\" and text[j + 1:].strip("\r\n") == "":
                    continued = True
                    break
                if ch == "\\":
                    j += 2
                    continue
                if text.startswith(quote, j):
                    j += len(quote)
                    quote, last = "", "s"
                    continue
                j += 1
                continue
            if ch == "#":
                last = "#"
                break
            if ch == "\\" and text[j + 1:].strip("\r\n") == "":
                continued = True
                break
            match = _STRING_START.match(text, j)
            if match and (j == 0 or not (text[j - 1].isalnum() or text[j - 1] == "_")):
                quote = match.group(2)
                j = match.end()
                continue
            if ch in OPENERS:
                depth += 1
            elif ch in CLOSERS:
                depth = max(depth - 1, 0)
            elif ch == "=" and depth == 0 and not assign_seen:
                if text.startswith("==", j) or (j and text[j - 1] in "=!<>+-*/%&|^@:~"):
                    j += 2 if text.startswith("==", j) else 1
                    last = "="
                    continue
                assign_seen = True
                if _ASSIGNED.match(text, j + 1):
                    return _continued_end(lines, i), True
            if not ch.isspace():
                last = ch
            j += 1
        if quote and len(quote) == 1 and not continued:
            quote = ""       # an unterminated one-line string: Python's error, not ours
        if not (quote or depth or continued):
            return i, last == "?"
        i += 1
    return len(lines) - 1, last == "?"


def dropped_warning(cell: int, dropped: list[tuple[int, str]]) -> str:
    """The warning for a cell's dropped lines, quoting the first few.

    >>> print(dropped_warning(2, [(1, "%matplotlib inline"), (3, "!pip install torch")]))
    cell 2: lines 1, 3 dropped (IPython syntax, not run): %matplotlib inline; !pip install torch
    """
    numbers = ", ".join(str(n) for n, _ in dropped[:MAX_QUOTED])
    if len(dropped) > MAX_QUOTED:
        numbers += f" and {len(dropped) - MAX_QUOTED} more"
    quoted = "; ".join(_short(text) for _, text in dropped[:3])
    if len(dropped) > 3:
        quoted += "; ..."
    word = "line" if len(dropped) == 1 else "lines"
    return f"cell {cell}: {word} {numbers} dropped (IPython syntax, not run): {quoted}"


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def display(*objs, **_options) -> None:
    """IPython's ``display``, as a plain script sees it: each object's repr, printed."""
    for obj in objs:
        print(repr(obj))


def install_builtins() -> None:
    """What IPython puts among a notebook's builtins and plain Python lacks (``display``),
    so that a cell using it does not fail. Only ever in a worker, which runs one submission."""
    if not hasattr(builtins, "display"):
        builtins.display = display


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
