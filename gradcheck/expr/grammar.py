"""The allow-list of the expression language: which AST nodes exist, and how each allowed node
becomes a closure over ``gradcheck.engine`` ops (the functions and their options are the table
in ``expr.functions``).

``Translator.compile`` looks a node's type up in ``Translator._HANDLERS`` (the dispatch table);
a type that is not there is rejected with an ``ExpressionError`` naming the construct, quoting
the expression and listing what is allowed. Each handler checks its node (known functions and
keyword options, numbers vs conditions, constant exponents, whole-number indices) and returns a
``_Code``: the closure that evaluates it, its kind, and its value when known at parse time.
Sizes (``reshape(x, (N, -1))``, ``a[:, H:2*H]``, ``stride=s``) are integer expressions evaluated
with the inputs, so they may use size names. Nothing here calls ``eval``/``exec`` or compiles
code. ``gradcheck.expr`` is the public face.
"""

from __future__ import annotations

import ast
import functools
import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np

from gradcheck import engine
from gradcheck.engine.contraction import parse_subscripts
from gradcheck.errors import EvaluationError, ExpressionError
from gradcheck.expr.functions import ALLOWED_FUNCTIONS, FUNCTIONS, OPTION_KINDS, Apply

CONSTANTS: Mapping[str, float] = {"e": math.e, "pi": math.pi}

_ALLOWED = ("allowed are numbers, the inputs and sizes, pi, e, + - * / // % ** @, unary -, "
            f"calls of {', '.join(ALLOWED_FUNCTIONS)}, indexing (integers, slices, None, ..., "
            "index arrays, masks), .T, and conditions (comparisons with and/or/not)")
_CONSTRUCTS = {
    ast.Lambda: "lambda expressions", ast.ListComp: "list comprehensions",
    ast.SetComp: "set comprehensions", ast.DictComp: "dict comprehensions",
    ast.GeneratorExp: "generator expressions", ast.Dict: "dict literals",
    ast.Set: "set literals", ast.JoinedStr: "f-strings", ast.FormattedValue: "f-strings",
    ast.IfExp: "conditional expressions (a if c else b)",
    ast.NamedExpr: "assignment expressions (:=)", ast.Starred: "starred expressions (*x)",
    ast.Await: "await expressions", ast.Yield: "yield expressions",
    ast.YieldFrom: "yield expressions",
    ast.Slice: "slices outside of an index",
    ast.List: "list literals (except as the first argument of stack or concatenate)",
    ast.Tuple: "tuples (except as the first argument of stack or concatenate, a shape, sizes "
               "or an axis)",
}
# What a part's function may raise on given inputs: reported as EvaluationError naming the part.
_FAILURES = (EvaluationError, ArithmeticError, ValueError, IndexError, TypeError, MemoryError)
_BINARY = {ast.Add: engine.add, ast.Sub: engine.sub, ast.Mult: engine.mul,
           ast.Div: engine.div, ast.Pow: engine.power, ast.MatMult: engine.matmul,
           ast.FloorDiv: engine.floor_divide, ast.Mod: engine.remainder}
_COMPARE = {ast.Lt: np.less, ast.LtE: np.less_equal, ast.Gt: np.greater,
            ast.GtE: np.greater_equal, ast.Eq: np.equal, ast.NotEq: np.not_equal}
_SYMBOLS = {ast.LShift: "<<", ast.RShift: ">>",
            ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^", ast.Invert: "~",
            ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}


def _symbol(op: ast.AST) -> str:
    return _SYMBOLS.get(type(op), type(op).__name__)


Env = Mapping[str, engine.Node]
Run = Callable[[Env], Any]


class _Code(NamedTuple):
    run: Run  # env -> Node (kind "number") or bool ndarray (kind "condition")
    kind: str
    const: float | None = None  # the value, when the part is a number known at parse time


def _int_literal(node: ast.AST) -> int | None:
    """The value of ``3``, ``-3`` or ``+3`` in the tree, else None."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return sign * node.value
    return None


_FOLD = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
         ast.Pow: np.power, ast.FloorDiv: np.floor_divide, ast.Mod: np.remainder}


def _mask(run: Run) -> Run:
    """A condition used as a number: its bool array as a mask (data, no gradient)."""
    return lambda env: engine.constant(np.asarray(run(env), dtype=bool))


def _fold(op: type, left: float, right: float) -> float:
    """``left op right`` for two parse-time constants, in float64 (overflow gives inf)."""
    with np.errstate(all="ignore"):
        return float(_FOLD[op](np.float64(left), np.float64(right)))


class Translator:
    """One pass over a parsed AST: checks each node and returns its closure.

    ``variables``: the allowed input names (None: any name that is not a constant or function);
    ``max_exponent``: the largest absolute value of a constant exponent.
    """

    def __init__(self, text: str, variables: frozenset[str] | None, max_exponent: float):
        self.text = text
        self.variables = variables
        self.max_exponent = max_exponent
        self.names: set[str] = set()
        self.functions: set[str] = set()

    def error(self, message: str, node: ast.AST | None = None) -> ExpressionError:
        where = f" (at column {node.col_offset + 1})" if hasattr(node, "col_offset") else ""
        return ExpressionError(message + where, self.text)

    def compile(self, node: ast.AST, kind: str | None = "number") -> _Code:
        handler = self._HANDLERS.get(type(node))
        if handler is None:
            what = _CONSTRUCTS.get(type(node), f"{type(node).__name__} nodes")
            raise self.error(f"{what} are not allowed; {_ALLOWED}", node)
        code = handler(self, node)
        if kind == "number" and code.kind != "number":  # a comparison as 0/1 or as a mask
            return _Code(_mask(code.run), "number")
        if kind == "condition" and code.kind != "condition":
            raise self.error("and/or/not combine conditions (comparisons), not numbers", node)
        return code

    def guarded(self, node: ast.AST, fn: Callable[..., Any], *runs: Run) -> Run:
        """``fn`` applied to the values of ``runs``; its failures name this part of the text."""
        part, text = ast.get_source_segment(self.text, node) or self.text, self.text

        def failed(exc: Exception) -> EvaluationError:
            return EvaluationError(f"cannot evaluate {part!r}: {exc} (in expression {text!r})")

        # One closure per arity: most parts take one or two values, and every evaluation
        # runs each part once (the agreement check evaluates the spec hundreds of times).
        if len(runs) == 1:
            only, = runs

            def run(env: Env) -> Any:
                value = only(env)
                try:
                    return fn(value)
                except _FAILURES as exc:
                    raise failed(exc) from None
        elif len(runs) == 2:
            first, second = runs

            def run(env: Env) -> Any:
                left, right = first(env), second(env)
                try:
                    return fn(left, right)
                except _FAILURES as exc:
                    raise failed(exc) from None
        else:
            def run(env: Env) -> Any:
                args = [r(env) for r in runs]
                try:
                    return fn(*args)
                except _FAILURES as exc:
                    raise failed(exc) from None
        return run

    def _expression(self, node: ast.Expression) -> _Code:
        return self.compile(node.body, kind=None)

    def _constant(self, node: ast.Constant) -> _Code:
        value = node.value
        if isinstance(value, (str, bytes)):
            raise self.error("string literals are not allowed (except einsum's subscripts, "
                             f"e.g. einsum('ij,jk->ik', a, b)); {_ALLOWED}", node)
        if isinstance(value, complex):
            raise self.error("complex numbers are not allowed", node)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(f"the constant {value!r} is not allowed here (True, False and None "
                             "are only keyword values, e.g. keepdims=True)", node)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise self.error("number literals must be finite", node)
        const = engine.constant(number)
        return _Code(lambda env: const, "number", number)

    def _name(self, node: ast.Name) -> _Code:
        name = node.id
        if name.startswith("_"):
            raise self.error(f"the name {name!r} is not allowed (names starting with '_' are "
                             "reserved)", node)
        is_input = (name in self.variables if self.variables is not None
                    else name not in CONSTANTS and name not in FUNCTIONS)
        if is_input:
            self.names.add(name)
            return _Code(lambda env: env[name], "number")
        if name in CONSTANTS:
            const = engine.constant(CONSTANTS[name])
            return _Code(lambda env: const, "number", CONSTANTS[name])
        if name in FUNCTIONS:
            raise self.error(f"{name!r} is a function; call it, e.g. {name}(x)", node)
        inputs = ", ".join(sorted(self.variables or ())) or "(none)"
        raise self.error(f"unknown name {name!r}; the expression's inputs are {inputs}; "
                         f"constants: {', '.join(CONSTANTS)}", node)

    def _unary(self, node: ast.UnaryOp) -> _Code:
        if isinstance(node.op, ast.Not):
            operand = self.compile(node.operand, "condition")
            return _Code(self.guarded(node, np.logical_not, operand.run), "condition")
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise self.error(f"the operator {_symbol(node.op)!r} is not allowed; "
                             f"{_ALLOWED}", node)
        operand = self.compile(node.operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        const = None if operand.const is None else -operand.const
        return _Code(self.guarded(node, engine.neg, operand.run), "number", const)

    def _binary(self, node: ast.BinOp) -> _Code:
        op = type(node.op)
        if op not in _BINARY:
            raise self.error(f"the operator {_symbol(node.op)!r} is not allowed; {_ALLOWED}", node)
        left, right = self.compile(node.left), self.compile(node.right)
        if op is ast.Pow and right.const is not None and not abs(right.const) <= self.max_exponent:
            raise self.error(f"the constant exponent {right.const:g} is too large (at most "
                             f"{self.max_exponent:g} in absolute value)", node)
        const = None
        if left.const is not None and right.const is not None and op is not ast.MatMult:
            const = _fold(op, left.const, right.const)
        return _Code(self.guarded(node, _BINARY[op], left.run, right.run), "number", const)

    def _compare(self, node: ast.Compare) -> _Code:
        bad = [op for op in node.ops if type(op) not in _COMPARE]
        if bad:
            raise self.error(f"the comparison {_symbol(bad[0])!r} is not allowed; use "
                             "< <= > >= == !=", node)
        runs = [self.compile(part).run for part in (node.left, *node.comparators)]
        tests = [_COMPARE[type(op)] for op in node.ops]

        def compare(*values: engine.Node) -> np.ndarray:
            result = np.bool_(True)
            for test, a, b in zip(tests, values, values[1:], strict=False):
                engine.broadcast_shape("comparison", result.shape, a.shape, b.shape)
                result = result & test(a.value, b.value)
            return result
        return _Code(self.guarded(node, compare, *runs), "condition")

    def _boolean(self, node: ast.BoolOp) -> _Code:
        runs = [self.compile(value, "condition").run for value in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or

        def apply(*values: np.ndarray) -> np.ndarray:
            engine.broadcast_shape("and/or", *(np.shape(v) for v in values))
            return functools.reduce(combine, values)
        return _Code(self.guarded(node, apply, *runs), "condition")

    def _attribute(self, node: ast.Attribute) -> _Code:
        if node.attr != "T":
            raise self.error(f"the attribute '.{node.attr}' is not allowed; only '.T' "
                             "(transpose) is", node)
        return _Code(self.guarded(node, engine.transpose, self.compile(node.value).run),
                     "number")

    def _subscript(self, node: ast.Subscript) -> _Code:
        value = self.compile(node.value)
        is_tuple = isinstance(node.slice, ast.Tuple)
        runs = [self._index_part(part) for part in (node.slice.elts if is_tuple
                                                     else [node.slice])]

        def index(env: Env) -> Any:
            parts = tuple(run(env) for run in runs)
            return parts if is_tuple else parts[0]
        return _Code(self.guarded(node, engine.getitem, value.run, index), "number")

    def _index_part(self, node: ast.AST) -> Run:
        """One part of an index: an integer expression, a slice of them, None, ``...``, or an
        index array or mask (any expression; a comparison is a mask)."""
        if isinstance(node, ast.Constant) and (node.value is None or node.value is Ellipsis):
            return lambda env, part=node.value: part
        if isinstance(node, ast.Slice):
            bounds = [None if part is None else self._whole(part, "a slice bound")
                      for part in (node.lower, node.upper, node.step)]
            if node.step is not None and _int_literal(node.step) == 0:
                raise self.error("a slice step cannot be zero", node)
            return lambda env: slice(*(None if b is None else b(env) for b in bounds))
        if isinstance(node, ast.Constant) and type(node.value) not in (int, float):
            raise self.error("an index is an integer, a slice, None, ..., or an index array or "
                             "mask, e.g. x[0], A[:, 1:3], x[arange(N), y], x[x > 0]", node)
        return self._whole(node, "an index", arrays=True)

    def _whole(self, node: ast.AST, what: str, *, arrays: bool = False) -> Run:
        """An integer-valued part (a size, an index; with ``arrays``, also index arrays and
        masks): literals are checked now, anything else when evaluated."""
        number = _int_literal(node)
        if number is not None:
            return lambda env: number
        code = self.compile(node, kind=None if arrays else "number")
        if code.const is not None and not float(code.const).is_integer():
            raise self.error(f"{what} must be a whole number, not {code.const:g}", node)
        if arrays or code.kind == "condition":
            return code.run
        return self.guarded(node, functools.partial(engine.as_integer, what=what), code.run)

    def _integers(self, node: ast.AST, what: str) -> Run:
        """An integer expression or a (nested) tuple of them, as Python ints when evaluated."""
        if isinstance(node, (ast.Tuple, ast.List)):
            runs = [self._integers(item, what) for item in node.elts]
            return lambda env: tuple(run(env) for run in runs)
        if isinstance(node, ast.Constant) and type(node.value) not in (int, float):
            raise self.error(f"{what} must be an integer expression or a tuple of them, "
                             "e.g. reshape(x, (N, -1))", node)
        return self._whole(node, what)

    def _call(self, node: ast.Call) -> _Code:
        if not isinstance(node.func, ast.Name):
            raise self.error("only the allowed functions can be called, by name, e.g. exp(x); "
                             f"{_ALLOWED}", node)
        name = node.func.id
        signature = FUNCTIONS.get(name)
        if signature is None:
            raise self.error(f"unknown function {name!r}; allowed functions: "
                             f"{', '.join(ALLOWED_FUNCTIONS)}", node)
        count = len(signature.args)
        if len(node.args) != count and not (signature.variadic and len(node.args) > count):
            more = " and at least one array" if signature.variadic else ""
            raise self.error(f"{name}() takes {count} positional argument(s) "
                             f"({', '.join(signature.args)}){more}, got {len(node.args)}", node)
        kinds = signature.args + ("array",) * (len(node.args) - count)
        runs = [self._argument(name, kind, arg, len(node.args) - count)
                for kind, arg in zip(kinds, node.args, strict=True)]
        static, dynamic = {}, {}
        for keyword in node.keywords:
            kind = signature.options.get(keyword.arg) if keyword.arg else None
            if kind is None:
                accepted = ", ".join(f"{o}=" for o in signature.options) or "none"
                got = f"{keyword.arg}=" if keyword.arg else "**"
                raise self.error(f"{name}() does not take the keyword argument {got!r}; "
                                 f"keyword arguments it takes: {accepted}", node)
            if kind == "integers":
                dynamic[keyword.arg] = self._integers(keyword.value, f"{name}(..., "
                                                      f"{keyword.arg}=...)")
            else:
                static[keyword.arg] = self._option(name, keyword.arg, kind, keyword.value)
        self.functions.add(name)
        call = Apply(signature, len(runs), static, tuple(dynamic)) if static or dynamic \
            else signature.fn   # without options: called directly, evaluated often
        return _Code(self.guarded(node, call, *runs, *dynamic.values()), "number")

    def _argument(self, function: str, kind: str, node: ast.AST, operands: int) -> Run:
        if kind == "array":
            return self.compile(node).run
        if kind == "subscripts":
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                raise self.error(f"the first argument of {function}() is its subscripts, a "
                                 "string such as 'ij,jk->ik'", node)
            try:
                parse_subscripts(node.value, operands)
            except EvaluationError as exc:
                raise self.error(str(exc), node) from None
            return lambda env, text=node.value: text
        if kind == "arrays":
            if not isinstance(node, (ast.List, ast.Tuple)) or not node.elts:
                raise self.error(f"the first argument of {function}() must be a list of "
                                 f"arrays, e.g. {function}([a, b])", node)
            runs = [self.compile(item).run for item in node.elts]
            return lambda env: [run(env) for run in runs]
        return self._integers(node, f"the sizes in {function}()")

    def _literal_integers(self, node: ast.AST) -> int | tuple[int, ...] | None:
        if isinstance(node, (ast.Tuple, ast.List)):
            items = [_int_literal(item) for item in node.elts]
            return None if None in items else tuple(items)
        return _int_literal(node)

    def _option(self, function: str, option: str, kind: str, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and node.value is None and kind in ("axis", "axes"):
            return None
        if kind == "bool" and isinstance(node, ast.Constant) and isinstance(node.value, bool):
            return node.value
        value = self._literal_integers(node) if kind in ("axis", "axes") else None
        value = _int_literal(node) if kind == "int" else value
        if kind == "axes" and isinstance(value, int):
            value = None
        if value is None:
            raise self.error(f"{function}(..., {option}=...) needs {OPTION_KINDS[kind]}", node)
        return value

    _HANDLERS: dict[type, Callable[[Translator, Any], _Code]] = {
        ast.Expression: _expression, ast.Constant: _constant, ast.Name: _name,
        ast.UnaryOp: _unary, ast.BinOp: _binary, ast.Compare: _compare, ast.BoolOp: _boolean,
        ast.Attribute: _attribute, ast.Subscript: _subscript, ast.Call: _call,
    }

