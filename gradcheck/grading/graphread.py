"""Reading a graph exercise's answer out of the submission's text, never running it.

The submission arrives parsed (:mod:`gradcheck.grading.graphsource`: its module tree, a
notebook's code cells joined); nothing of it is compiled or executed. Three things are read
from it:

- a function of intermediate variables (:func:`read_program`): one assignment per line,
  ``t1 = a + b``, then ``return t9``; each right-hand side becomes an expression of gradcheck's
  own language (``gradcheck.expr``: an allow-list, size- and depth-limited), with the
  ``np.``/``numpy.``/``math.`` prefixes of function names dropped (``np.sqrt(t3)`` is
  ``sqrt(t3)``);
- a graph as data (:func:`read_graph`): a module-level literal, node -> inputs or an edge list;
- the same line form for adjoints (``g_t3 = g_t4 * ... + ...``, see :func:`read_program`).

Whatever is wrong with the text is a :class:`LineError` naming the line: the grader turns it
into that exercise's zero with the reason.

>>> from gradcheck.grading.graphsource import parse_source
>>> source = parse_source("def f(a, b):\\n    t1 = a + b\\n    t2 = np.sin(t1)\\n"
...                       "    return t2\\n", "s.py")
>>> program = read_program(source, "f", ("a", "b"))
>>> [(line.target, line.text, line.operations) for line in program.lines]
[('t1', 'a + b', ('+',)), ('t2', 'np.sin(t1)', ('sin',))]
>>> program.result
't2'
"""

from __future__ import annotations

import ast
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from gradcheck import expr
from gradcheck.errors import ExpressionError, SubmissionError
from gradcheck.grading.graphsource import Source, definition, source_segment

MAX_LINES = 300                   # lines read from one function
MAX_GRAPH_ITEMS = 5_000           # names in a graph literal, at most
MODULE_PREFIXES = ("np", "numpy", "math")
ADJOINT_PREFIX = "g_"
TEXT_CHARS = 120                  # a line's text, as quoted in messages
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
            ast.MatMult: "@", ast.FloorDiv: "//", ast.Mod: "%"}


class LineError(SubmissionError):
    """Something in the submission's text that cannot be read as asked; ``line`` locates it
    (None: the whole file)."""

    def __init__(self, message: str, line: int | None = None):
        self.message = message
        self.line = line
        super().__init__(message)


class NotWritten(SubmissionError):
    """The answer is still the template's ``raise NotImplementedError``."""


# --- functions of one operation per line ---------------------------------------------------

@dataclass(frozen=True)
class Line:
    """One assignment ``target = <expression>``: the text as written, the expression in
    gradcheck's language, the names it reads and the operations it applies."""

    line: int
    target: str
    text: str
    expression: expr.Expression
    reads: tuple[str, ...]
    operations: tuple[str, ...]


@dataclass(frozen=True)
class Program:
    """A function read line by line: its assignments and the variable it returns."""

    name: str
    line: int
    lines: tuple[Line, ...]
    result: str | None = None
    result_line: int | None = None

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(line.target for line in self.lines)


def read_program(source: Source, name: str, inputs: Iterable[str], *,
                 nodes: Iterable[str] | None = None) -> Program:
    """Read function ``name`` of ``source``: assignments only (a docstring, ``pass`` and a
    final ``return`` aside), each right-hand side an expression of the inputs and of the
    names assigned above it.

    With ``nodes`` (the adjoint form) the function may also read the forward variables
    ``nodes`` and every ``g_<node>``; an assignment to ``g_<node>`` is that node's adjoint,
    any other assignment a helper (a local derivative) that reads no ``g_`` name.

    Raises :class:`LineError` (missing, not a function, a line that cannot be read) or
    :class:`NotWritten` (the template's ``raise NotImplementedError``).

    >>> from gradcheck.grading.graphsource import parse_source
    >>> source = parse_source("def f(a):\\n    t1 = a + b\\n    return t1\\n", "s.py")
    >>> read_program(source, "f", ("a",))
    Traceback (most recent call last):
    ...
    gradcheck.grading.graphread.LineError: line 2: t1 = a + b: 'b' is not an input or a \
variable assigned above (known: a)
    """
    node = definition(source, name)
    if node is None:
        raise LineError(f"{source.filename} defines no function {name}")
    if not isinstance(node, ast.FunctionDef):
        raise LineError(f"{name} should be a function (def {name}(...):)", node.lineno)
    inputs = tuple(inputs)
    adjoint = nodes is not None
    node_names = tuple(nodes or ())
    known: dict[str, int] = {n: 0 for n in (*inputs, *node_names)}
    if adjoint:
        known.update({ADJOINT_PREFIX + n: 0 for n in (*inputs, *node_names)})
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if any(_raises_not_implemented(s) for s in body):
        raise NotWritten(f"{name} is not written yet (it raises NotImplementedError)")
    if len(body) > MAX_LINES:
        raise LineError(f"{name} has {len(body)} statements, more than {MAX_LINES}", node.lineno)
    lines: list[Line] = []
    result = result_line = None
    assigned: dict[str, int] = {}
    for statement in body:
        where = source.where(statement.lineno)
        if result_line is not None and not adjoint:
            raise LineError(f"{where}: nothing may follow the return", statement.lineno)
        if isinstance(statement, ast.Pass):
            continue
        if isinstance(statement, ast.Return):
            result_line = statement.lineno
            if not adjoint:
                result = _returned(statement, where, assigned)
            continue
        if not isinstance(statement, ast.Assign) or len(statement.targets) != 1 \
                or not isinstance(statement.targets[0], ast.Name):
            raise LineError(f"{where}: only assignments 'name = expression' and a return are "
                            f"read here, not {_construct(statement)}", statement.lineno)
        target = statement.targets[0].id
        text = _segment(source, statement.value)
        if target in assigned:
            raise LineError(f"{where}: {target} is assigned twice (first on "
                            f"{source.where(assigned[target])}): give each value its own name",
                            statement.lineno)
        if target in inputs or target in node_names:
            raise LineError(f"{where}: {target} = {text}: {target} is "
                            f"{'an input' if target in inputs else 'a forward variable'}; "
                            "assign to a new name", statement.lineno)
        if adjoint and target.startswith(ADJOINT_PREFIX) and target not in known:
            raise LineError(f"{where}: {target}: there is no node "
                            f"{target[len(ADJOINT_PREFIX):]} (nodes: "
                            f"{', '.join((*inputs, *node_names))})", statement.lineno)
        line = _read_line(statement, target, text, known, where)
        if adjoint and not target.startswith(ADJOINT_PREFIX):
            reading = [n for n in line.reads if n.startswith(ADJOINT_PREFIX)]
            if reading:
                raise LineError(f"{where}: {target} = {text} reads {', '.join(reading)}: a "
                                "local derivative is an expression of forward values only; "
                                "the adjoints belong in the g_ lines", statement.lineno)
        lines.append(line)
        assigned[target] = statement.lineno
        known.setdefault(target, statement.lineno)
    if not adjoint and result is None:
        raise LineError(f"{name} has no 'return <variable>' at its end", node.lineno)
    return Program(name=name, line=node.lineno, lines=tuple(lines), result=result,
                   result_line=result_line)


def _raises_not_implemented(statement: ast.stmt) -> bool:
    if not isinstance(statement, ast.Raise) or statement.exc is None:
        return False
    exc = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _returned(statement: ast.Return, where: str, assigned: dict[str, int]) -> str:
    value = statement.value
    if isinstance(value, ast.Name) and value.id in assigned:
        return value.id
    if isinstance(value, ast.Name):
        raise LineError(f"{where}: return {value.id}: return the last intermediate variable "
                        "(one assigned in this function)", statement.lineno)
    raise LineError(f"{where}: return an intermediate variable ('return t9'), not an "
                    "expression: give the last operation its own line", statement.lineno)


def _construct(statement: ast.stmt) -> str:
    names = {ast.AugAssign: "an augmented assignment (+=)", ast.For: "a for loop",
             ast.While: "a while loop", ast.If: "an if statement", ast.Expr: "an expression "
             "statement", ast.AnnAssign: "an annotated assignment", ast.Import: "an import",
             ast.ImportFrom: "an import", ast.With: "a with statement", ast.Try: "a try "
             "statement", ast.FunctionDef: "a nested function", ast.Raise: "a raise"}
    if isinstance(statement, ast.Assign):
        return "an assignment to several names or to something other than a name"
    return names.get(type(statement), f"a {type(statement).__name__} statement")


def _segment(source: Source, node: ast.AST) -> str:
    text = source_segment(source.lines, node)
    text = " ".join((text or "").split()) or "?"
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 3] + "..."


def _check_size(node: ast.AST, where: str, text: str, line: int) -> None:
    count, pending = 0, [(node, 1)]
    while pending:
        item, depth = pending.pop()
        count += 1
        if count > expr.MAX_NODES or depth > expr.MAX_DEPTH:
            raise LineError(f"{where}: {text}: the expression is too large (more than "
                            f"{expr.MAX_NODES} parts or {expr.MAX_DEPTH} levels)", line)
        pending.extend((child, depth + 1) for child in ast.iter_child_nodes(item))


def _plain(node: ast.expr) -> ast.expr:
    """``node`` itself, or where a called function is named ``np.``/``numpy.``/``math.``
    something, a copy of it with those prefixes dropped (the source's tree stays as it is:
    other parts read it too)."""
    if not any(_prefixed(item) for item in ast.walk(node)):
        return node
    copy = ast.parse(ast.unparse(node), mode="eval").body
    for item in ast.walk(copy):
        if _prefixed(item):
            item.func = ast.copy_location(ast.Name(item.func.attr, ast.Load()), item.func)
    return copy


def _prefixed(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id in MODULE_PREFIXES)


def _read_line(statement: ast.Assign, target: str, text: str, known: dict[str, int],
               where: str) -> Line:
    line = statement.lineno
    _check_size(statement.value, where, text, line)
    value = _plain(statement.value)
    try:
        expression = expr.parse(ast.unparse(value), variables=list(known))
    except ExpressionError as exc:
        message = exc.message
        unknown = re.match(r"unknown name '([^']+)'", message)
        if unknown:
            shown = sorted(n for n in known if not n.startswith(ADJOINT_PREFIX))
            message = (f"{unknown.group(1)!r} is not an input or a variable assigned above "
                       f"(known: {', '.join(shown)})")
        raise LineError(f"{where}: {target} = {text}: {message}", line) from None
    reads = tuple(dict.fromkeys(n.id for n in ast.walk(value) if isinstance(n, ast.Name)
                                and n.id in known))
    return Line(line=line, target=target, text=text, expression=expression, reads=reads,
                operations=operations(value))


def operations(node: ast.AST) -> tuple[str, ...]:
    """The operations an expression applies, outermost first: operators, calls (by function
    name), indexing and ``.T``; names and numbers (``-2`` too) are operands, not operations.

    >>> operations(ast.parse("t1 + c ** 2", mode="eval").body)
    ('+', '**')
    >>> operations(ast.parse("-2 * x", mode="eval").body)
    ('*',)
    """
    found: list[str] = []
    pending = deque([node])
    while pending:
        item = pending.popleft()
        if isinstance(item, (ast.Name, ast.Constant)):
            continue
        if isinstance(item, ast.UnaryOp) and isinstance(item.operand, ast.Constant):
            continue
        if isinstance(item, ast.BinOp):
            found.append(_SYMBOLS.get(type(item.op), type(item.op).__name__))
            pending.extend((item.left, item.right))
        elif isinstance(item, ast.UnaryOp):
            found.append("unary -" if isinstance(item.op, ast.USub) else "unary operator")
            pending.append(item.operand)
        elif isinstance(item, ast.Call):
            func = item.func
            found.append(func.id if isinstance(func, ast.Name) else
                         func.attr if isinstance(func, ast.Attribute) else "call")
            pending.extend(item.args)
        elif isinstance(item, ast.Subscript):
            found.append("indexing")
            pending.append(item.value)
        elif isinstance(item, ast.Attribute):
            found.append(f".{item.attr}")
            pending.append(item.value)
        elif isinstance(item, (ast.List, ast.Tuple)):
            pending.extend(item.elts)
        else:
            found.append(type(item).__name__)
            pending.extend(ast.iter_child_nodes(item))
    return tuple(found)


# --- a graph as data ---------------------------------------------------------------------

def read_graph(source: Source, name: str) -> tuple[dict[str, set[str]], int]:
    """The module-level literal ``name``: a dict ``{"t3": ["t1", "t2"], ...}`` (node -> the
    nodes it is computed from) or an edge list ``[("t1", "t3"), ("t2", "t3"), ...]`` (from,
    to). Returns node -> inputs (every node named anywhere is a key) and the line.

    >>> from gradcheck.grading.graphsource import parse_source
    >>> source = parse_source("G = {'t1': ['a', 'b'], 't2': ('t1',)}\\n", "s.py")
    >>> graph, line = read_graph(source, "G")
    >>> sorted((k, sorted(v)) for k, v in graph.items())
    [('a', []), ('b', []), ('t1', ['a', 'b']), ('t2', ['t1'])]
    """
    node = definition(source, name)
    if node is None:
        raise LineError(f"{source.filename} defines no graph {name} (a module-level "
                        f"{name} = {{...}})")
    if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
        raise LineError(f"{source.where(node.lineno)}: {name} should be a literal "
                        f"({name} = {{'t1': ['a', 'b'], ...}}), not a function", node.lineno)
    value = node.value
    where = source.where(node.lineno)
    if isinstance(value, ast.Constant) and value.value is None:
        raise NotWritten(f"{name} is not written yet (it is None, as in the template)")
    _check_items(value, where, node.lineno)
    graph: dict[str, set[str]] = {}
    if isinstance(value, ast.Dict):
        for key, inputs in zip(value.keys, value.values, strict=True):
            target = _name(key, where)
            if not isinstance(inputs, (ast.List, ast.Tuple, ast.Set)):
                raise LineError(f"{where}: {name}[{target!r}] should be a list of the nodes "
                                f"{target} is computed from (maybe empty)", _line(inputs))
            graph.setdefault(target, set()).update(_name(i, where) for i in inputs.elts)
    elif isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        for edge in value.elts:
            if not isinstance(edge, (ast.List, ast.Tuple)) or len(edge.elts) != 2:
                raise LineError(f"{where}: each edge of {name} is a pair (from, to), e.g. "
                                "('t1', 't3')", _line(edge))
            start, end = (_name(e, where) for e in edge.elts)
            graph.setdefault(end, set()).add(start)
    else:
        raise LineError(f"{where}: {name} should be a dict (node -> inputs) or a list of "
                        "edges (from, to)", node.lineno)
    for inputs in list(graph.values()):
        for item in inputs:
            graph.setdefault(item, set())
    return graph, node.lineno


def _check_items(value: ast.AST, where: str, line: int) -> None:
    count = 0
    pending = [value]
    while pending:
        item = pending.pop()
        count += 1
        if count > MAX_GRAPH_ITEMS:
            raise LineError(f"{where}: the graph has more than {MAX_GRAPH_ITEMS} parts", line)
        if isinstance(item, ast.Dict):
            if any(k is None for k in item.keys):
                raise LineError(f"{where}: the graph must be written out (no ** inside)",
                                _line(item))
            pending.extend(item.keys)
            pending.extend(item.values)
        elif isinstance(item, (ast.List, ast.Tuple, ast.Set)):
            pending.extend(item.elts)
        elif not isinstance(item, ast.Constant):
            if isinstance(item, ast.Name):
                raise LineError(f"{where}: write node names as text: '{item.id}', not "
                                f"{item.id}", _line(item))
            raise LineError(f"{where}: the graph must be a literal of texts, lists and "
                            f"pairs; found {type(item).__name__}", _line(item))


def _name(node: ast.AST, where: str) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) \
            and _IDENTIFIER.match(node.value.strip()):
        return node.value.strip()
    raise LineError(f"{where}: a node name is text naming a variable or an input (like "
                    f"'t1' or 'a'), not {ast.unparse(node)[:40]}", _line(node))


def _line(node: ast.AST) -> int | None:
    return getattr(node, "lineno", None)
