"""A submission's source text, parsed and never run: the input of the graph exercises.

A ``.py`` file is decoded as Python decodes it (PEP 263: a coding line is honoured); a
notebook's code cells are prepared as the worker prepares them (IPython syntax dropped) and
joined, remembering where each cell starts so a line can be named as the student sees it
(``cell 3, line 2``). The text is parsed with ``ast.parse``; nothing of it is compiled or
executed. A problem (too large, not in its declared encoding, a syntax error) is kept in
:attr:`Source.error`, never raised: the grader turns it into each graph exercise's zero.

>>> source = parse_source("def f(a):\\n    return a\\n", "s.py")
>>> source.error, type(definition(source, "f")).__name__, source.where(2)
('', 'FunctionDef', 'line 2')
>>> parse_source("x = 1\\n)\\n", "s.py").error.split(":")[0]
's.py, line 2'
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gradcheck.sandbox.child.load import source_text
from gradcheck.sandbox.child.notebook import notebook_cells, prepare_cell

MAX_SOURCE_BYTES = 2_000_000      # a larger submission is not read as text
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")   # the lines the parser counts


@dataclass(frozen=True)
class Source:
    """A parsed submission: its module tree (None when it does not parse, with ``error``)
    and, for a notebook, where each cell starts in the joined text."""

    filename: str
    tree: ast.Module | None
    text: str = ""
    error: str = ""
    cells: tuple[tuple[int, int], ...] = ()     # (first joined line, cell number)

    @functools.cached_property
    def lines(self) -> tuple[bytes, ...]:
        """The text's lines as UTF-8 (the unit of the tree's column offsets), ends kept."""
        return tuple(line.encode("utf-8") for line in _LINE.findall(self.text))

    def where(self, line: int | None) -> str:
        """``line 12``, or ``cell 3, line 2`` in a notebook."""
        if line is None:
            return self.filename
        for first, number in reversed(self.cells):
            if line >= first:
                return f"cell {number}, line {line - first + 1}"
        return f"line {line}"


def read_source(path: Path) -> Source:
    """Parse the submission at ``path`` (a .py file or an .ipynb notebook), without running
    anything. Problems (too large, not in its declared encoding, a syntax error) are kept in
    ``error``.

    >>> source = read_source(Path("solutions/sheet01.py"))
    >>> source.error, definition(source, "forward_A").name
    ('', 'forward_A')
    >>> read_source(Path("no/such/file.py")).error
    'cannot read file.py: No such file or directory'
    """
    name = path.name
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            return Source(name, None, error=f"{name} is larger than {MAX_SOURCE_BYTES} bytes")
        raw = path.read_bytes()
    except OSError as exc:
        return Source(name, None, error=f"cannot read {name}: {exc.strerror or exc}")
    cells: list[tuple[int, int]] = []
    if path.suffix == ".ipynb":
        try:
            parts = []
            first = 1
            for number, code in notebook_cells(raw):
                prepared, _ = prepare_cell(code)
                if not prepared.strip():
                    continue
                prepared = prepared if prepared.endswith("\n") else prepared + "\n"
                cells.append((first, number))
                parts.append(prepared)
                first += prepared.count("\n")
            text = "".join(parts)
        except (ValueError, UnicodeDecodeError, AttributeError, TypeError) as exc:
            return Source(name, None, error=f"{name} is not a readable notebook: {exc}")
    else:
        text, problem = source_text(raw, name)   # as Python decodes it (PEP 263)
        if problem:
            return Source(name, None, error=problem)
    return parse_source(text, name, tuple(cells))


def parse_source(text: str, filename: str, cells: tuple[tuple[int, int], ...] = ()) -> Source:
    """Parse ``text`` as a module (no code is compiled or run).

    >>> parse_source("x = 1\\ny = (\\n", "s.ipynb", ((1, 2), (2, 5))).error.split(":")[0]
    's.ipynb, cell 5, line 1'
    """
    try:
        tree = ast.parse(text, filename)
    except SyntaxError as exc:
        where = Source(filename, None, cells=cells).where(exc.lineno)
        return Source(filename, None, text, f"{filename}, {where}: {exc.msg}", cells)
    except (ValueError, RecursionError, MemoryError) as exc:
        return Source(filename, None, text, f"{filename} cannot be parsed: "
                      f"{exc or type(exc).__name__}", cells)
    return Source(filename, tree, text, "", cells)


def definition(source: Source, name: str) -> ast.stmt | None:
    """The last top-level ``def name`` or ``name = ...`` of the module (as Python would
    leave it), or None.

    >>> source = parse_source("def f(): pass\\nf = 1\\n", "s.py")
    >>> type(definition(source, "f")).__name__, definition(source, "g")
    ('Assign', None)
    """
    found = None
    for statement in source.tree.body if source.tree is not None else ():
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                and statement.name == name:
            found = statement
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) \
                else [statement.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                found = statement
    return found


def source_segment(lines: Sequence[bytes], node: ast.AST) -> str | None:
    """The text of ``node`` as ``ast.get_source_segment`` gives it, over ``lines`` split
    once (:attr:`Source.lines`; it splits the whole text on every call, which made quoting
    the lines of a long submission most of its grading).

    >>> source = parse_source("t1 = np.sin(\\n    a)\\n", "s.py")
    >>> source_segment(source.lines, source.tree.body[0].value)
    'np.sin(\\n    a)'
    """
    end = getattr(node, "end_lineno", None)
    if not lines or end is None or node.end_col_offset is None or end > len(lines):
        return None
    first, last = node.lineno - 1, end - 1
    if first == last:
        return lines[first][node.col_offset:node.end_col_offset].decode("utf-8", "replace")
    parts = [lines[first][node.col_offset:], *lines[first + 1:last],
             lines[last][:node.end_col_offset]]
    return b"".join(parts).decode("utf-8", "replace")
