"""The functions an expression may call: each name, the engine op behind it, the kinds of its
positional arguments and the keyword options it accepts. ``expr.grammar`` checks every call
against this table; docs/spec-format.md lists it for spec authors.

Argument kinds: ``array`` (any number-valued expression; a comparison is a mask, which counts
as 0/1 in arithmetic and as true/false in ``where``), ``arrays`` (a list literal of those),
``integers`` (an integer expression, or a tuple of them, possibly nested: sizes such
as ``(N, -1)`` or ``((0, 0), (pad, pad))``, computed from the inputs' sizes when evaluated),
``subscripts`` (a string literal: einsum's letters). A signature with ``variadic`` takes any
number (at least one) of further ``array`` arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gradcheck import engine

_REDUCTION = {"axis": "axis", "keepdims": "bool"}
_WINDOW = {"stride": "integers"}
_CONV = {"stride": "integers", "pad": "integers"}

OPTION_KINDS = {"axis": "an integer, a tuple of integers or None", "int": "an integer",
                "bool": "True or False", "axes": "a tuple of integers or None",
                "integers": "an integer expression or a tuple of them, e.g. 2 or (1, pad)"}
"""What each option kind accepts, for error messages."""


@dataclass(frozen=True)
class Signature:
    """How a function of the expression language is called."""

    fn: Callable[..., engine.Node]
    args: tuple[str, ...] = ("array",)  # kinds of the positional arguments
    options: Mapping[str, str] = field(default_factory=dict)  # keyword-only options -> kind
    variadic: bool = False  # any number (at least one) of further arrays after ``args``


FUNCTIONS: Mapping[str, Signature] = {
    # one array in, elementwise
    **{fn.__name__: Signature(fn) for fn in (
        engine.abs, engine.arctan, engine.cos, engine.cosh, engine.exp, engine.log, engine.log1p,
        engine.relu, engine.sigmoid, engine.sin, engine.sinh, engine.sqrt, engine.square,
        engine.tan, engine.tanh)},
    # reductions
    **{fn.__name__: Signature(fn, options=_REDUCTION) for fn in (
        engine.sum, engine.mean, engine.var, engine.max, engine.min, engine.logsumexp,
        engine.norm)},
    "softmax": Signature(engine.softmax, options={"axis": "axis"}),
    # two arrays, and selection
    "maximum": Signature(engine.maximum, args=("array", "array")),
    "minimum": Signature(engine.minimum, args=("array", "array")),
    "where": Signature(engine.where, args=("array", "array", "array")),
    "dot": Signature(engine.dot, args=("array", "array")),
    "outer": Signature(engine.outer, args=("array", "array")),
    "matmul": Signature(engine.matmul, args=("array", "array")),
    "einsum": Signature(engine.einsum, args=("subscripts",), variadic=True),
    # linear algebra, shapes and indices
    "diag": Signature(engine.diag),
    "transpose": Signature(engine.transpose, options={"axes": "axes"}),
    "reshape": Signature(engine.reshape, args=("array", "integers")),
    "pad": Signature(engine.pad, args=("array", "integers")),
    "arange": Signature(engine.arange),
    "stack": Signature(engine.stack, args=("arrays",), options={"axis": "int"}),
    "concatenate": Signature(engine.concatenate, args=("arrays",), options={"axis": "int"}),
    # convolution and pooling (N, C, H, W) / (N, C, L)
    "conv1d": Signature(engine.conv1d, args=("array", "array"), options=_CONV),
    "conv2d": Signature(engine.conv2d, args=("array", "array"), options=_CONV),
    **{fn.__name__: Signature(fn, args=("array", "integers"), options=_WINDOW)
       for fn in (engine.max_pool1d, engine.max_pool2d, engine.avg_pool1d, engine.avg_pool2d)},
}
ALLOWED_FUNCTIONS: tuple[str, ...] = tuple(sorted(FUNCTIONS))


class Apply:
    """Calls a function of the table with its positional values, then its options: the
    constant ones given now, the ``integers`` ones evaluated with the inputs (a call
    without options calls the function itself).

    >>> total = Apply(FUNCTIONS["sum"], 1, {"axis": 0}, ())
    >>> total(engine.constant([[1.0, 2.0], [3.0, 4.0]])).value
    array([4., 6.])
    """

    __slots__ = ("fn", "count", "static", "dynamic")

    def __init__(self, signature: Signature, count: int, static: dict, dynamic: tuple[str, ...]):
        self.fn, self.count, self.static, self.dynamic = signature.fn, count, static, dynamic

    def __call__(self, *values: Any) -> Any:
        options = dict(zip(self.dynamic, values[self.count:], strict=True))
        return self.fn(*values[:self.count], **self.static, **options)
