"""The exercise specs' expression language: a safe subset of Python expressions over arrays.

``parse`` reads the text with ``ast.parse`` and turns the tree into a tree of small closures, one
AST node type at a time, through an allow-list dispatch table (``expr.grammar.Translator``). Nothing
is ever passed to ``eval``/``exec`` or compiled to code: the closures call ``gradcheck.engine``
ops on nodes, so one parsed expression gives both values (``evaluate``) and derivative graphs
(``build``).

Allowed: int/float literals, the inputs (free names; integer and boolean numpy arrays stay
data: labels, index arrays, masks), the constants ``pi`` and ``e``, unary ``+ -``, binary
``+ - * / // % ** @`` (``//`` and ``%`` only on what needs no derivative: sizes, data), calls of
``ALLOWED_FUNCTIONS`` (the table in ``expr.functions``: positional arguments plus the keyword
options each accepts, e.g. ``axis=0``, ``keepdims=True``, ``stride=s``), indexing (``x[0]``,
``A[:, 1:3]``, ``a[:, H:2*H]``, ``x[None, ...]``, ``x[arange(N), y]``, ``W[idx]``, ``x[x > 0]``),
``.T``, list literals as the first argument of ``stack``/``concatenate``, size tuples
(``reshape(x, (N, -1))``), einsum's subscripts (the only string literal), and conditions:
comparisons (chained too) combined with ``and``/``or``/``not``, which work elementwise. A
condition used as a number is a mask: 0/1 in arithmetic (``(x > 0) * g``), true/false in
``where`` and as an index; it has no derivative. Sizes and indices are integer expressions
evaluated with the inputs (whole-number floats count: ``2*H``); a literal that is not a whole
number is refused when parsed. Everything else raises ``ExpressionError``.

Limits (named constants below): text length, AST node count, nesting depth, and the size of a
constant exponent (``9**9**9`` is rejected when parsed). Array sizes are limited by
``engine.node.MAX_ELEMENTS``: the engine checks every op that can grow an array before it allocates,
and ``evaluate``/``build`` check the inputs; a violation raises ``EvaluationError``, as does any
other failure on given inputs (mismatched shapes, bad index), quoting the failing part and the
expression. Non-finite results (log of a negative number) are returned as NaN/inf silently.

>>> f = parse("cos(x**3) * log(x**4 / 11)")
>>> sorted(f.names), sorted(f.functions)
(['x'], ['cos', 'log'])
>>> float(f.evaluate({"x": 1.0})).__round__(4)
-1.2956
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from gradcheck import engine
from gradcheck.errors import EvaluationError, ExpressionError
from gradcheck.expr.functions import ALLOWED_FUNCTIONS, FUNCTIONS
from gradcheck.expr.grammar import CONSTANTS, Run, Translator

__all__ = ["ALLOWED_FUNCTIONS", "CONSTANTS", "FUNCTIONS", "MAX_DEPTH", "MAX_EXPONENT", "MAX_LENGTH",
           "MAX_NODES", "Expression", "parse"]

MAX_LENGTH = 2000
"""Longest expression text, in characters."""
MAX_NODES = 1000
"""Most AST nodes (operators and names count too)."""
MAX_DEPTH = 100
"""Deepest nesting of the AST (``a + b + c`` nests one level per ``+``)."""
MAX_EXPONENT = 64
"""Largest absolute value of an exponent that is a constant (``x**70`` and ``2**1000`` fail)."""


def _check_tree(tree: ast.AST, text: str) -> None:
    """Enforce MAX_NODES and MAX_DEPTH without recursion (the compiler recurses after this)."""
    count, pending = 0, [(tree, 1)]
    while pending:
        node, depth = pending.pop()
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(f"the expression has more than {MAX_NODES} parts", text)
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression nests deeper than {MAX_DEPTH} levels", text)
        pending.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


class Expression:
    """A parsed and checked expression; make one with :func:`parse`.

    ``text`` is the (stripped) source, ``names`` the free input names (without ``pi``/``e``),
    ``functions`` the functions it calls, ``is_condition`` whether it is a comparison/and/or/not
    (value only). Calling it builds the graph, so ``engine.jacobian(expression, inputs, "x")``
    works directly.

    >>> f = parse("sum(x**2)")
    >>> f.evaluate({"x": [1.0, 2.0]})
    array(5.)
    """

    __slots__ = ("text", "names", "functions", "is_condition", "_variables", "_run")

    def __init__(self, text: str, names: frozenset[str], functions: frozenset[str],
                 is_condition: bool, variables: frozenset[str] | None, run: Run):
        self.text = text
        self.names = names
        self.functions = functions
        self.is_condition = is_condition
        self._variables = variables
        self._run = run

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Expression) and other.text == self.text
                and other._variables == self._variables)

    def __hash__(self) -> int:
        return hash((self.text, self._variables))

    def __reduce__(self):  # picklable (e.g. to worker processes): parse the text again
        return _reparse, (self.text, self._variables)

    def _environment(self, given: Mapping[str, Any], lift: Callable[[Any], engine.Node]) -> dict:
        env = {}
        for name in sorted(self.names):
            if name not in given:
                raise EvaluationError(f"no value for {name!r}; the expression {self.text!r} "
                                      f"needs {', '.join(sorted(self.names))}")
            try:
                env[name] = lift(given[name])
            except EvaluationError as exc:
                raise EvaluationError(f"input {name!r} of {self.text!r}: {exc}") from None
        return env

    def evaluate(self, values: Mapping[str, ArrayLike]) -> np.ndarray:
        """The value at ``values`` (name -> number/array): a float64 array, or a bool array for
        a condition. Extra names in ``values`` are ignored.

        >>> parse("x > 0 and y < 1").evaluate({"x": [1.0, -1.0], "y": 0.0})
        array([ True, False])
        """
        env = self._environment(values, engine.constant)
        with np.errstate(all="ignore"):
            result = self._run(env)
        if isinstance(result, engine.Node):
            return np.array(result.value)
        return np.array(result, dtype=bool)

    def build(self, nodes: Mapping[str, engine.Node | ArrayLike]) -> engine.Node:
        """The expression as an engine graph on ``nodes`` (plain arrays become constants).

        >>> x = engine.variable([1.0, 2.0])
        >>> engine.backward(parse("sum(x**2)").build({"x": x}), [x])
        [array([2., 4.])]
        """
        if self.is_condition:
            raise ExpressionError("a condition (comparison, and/or/not) has a value but no "
                                  "derivative; use evaluate()", self.text)
        env = self._environment(nodes, lambda v: v if isinstance(v, engine.Node)
                                else engine.constant(v))
        with np.errstate(all="ignore"):
            return self._run(env)

    def __call__(self, **nodes: engine.Node | ArrayLike) -> engine.Node:
        """Same as :meth:`build` with keyword arguments: ``expression(x=node)``."""
        return self.build(nodes)


def _reparse(text: str, variables: frozenset[str] | None) -> Expression:
    return parse(text, variables=variables)


def parse(text: str, *, variables: Iterable[str] | None = None) -> Expression:
    """Check ``text`` against the allow-list and return the :class:`Expression`.

    With ``variables``, any other free name is an error that lists the variables and constants;
    a variable may shadow the constants ``pi`` and ``e``. Raises ``ExpressionError``, which
    quotes the text, names what is wrong and lists what is allowed.

    >>> sorted(parse("exp(-(x - mu)**2 / (2 * sigma**2))", variables=["x", "mu", "sigma"]).names)
    ['mu', 'sigma', 'x']
    >>> parse("x.__class__")
    Traceback (most recent call last):
    ...
    gradcheck.errors.ExpressionError: the attribute '.__class__' is not allowed; only '.T' \
(transpose) is (at column 1) in expression 'x.__class__'
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be a string, not {type(text).__name__}")
    text = text.strip()
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression has {len(text)} characters, more than the limit "
                              f"of {MAX_LENGTH}", _shorten(text))
    if not text:
        raise ExpressionError("the expression is empty")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        detail = "" if exc.msg == "invalid syntax" else f": {exc.msg}"
        raise ExpressionError(f"invalid syntax{detail} (at column {exc.offset})", text) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"cannot parse: {exc or type(exc).__name__}", text) from None
    _check_tree(tree, text)
    allowed = None if variables is None else frozenset(variables)
    compiler = Translator(text, allowed, MAX_EXPONENT)
    code = compiler.compile(tree, kind=None)
    return Expression(text, frozenset(compiler.names), frozenset(compiler.functions),
                      code.kind == "condition", allowed, code.run)
