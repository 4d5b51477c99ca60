"""Student templates generated from a spec: every function and class the sheet grades, with
its signature, a docstring with the math and the expected shape, and ``NotImplementedError``.

>>> from gradcheck.spec import load_sheet
>>> text = render_template(load_sheet("sheet01"))
>>> "def d_1a(x):" in text and "class Mul:" in text
True
"""

from __future__ import annotations

import os
import shlex
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from gradcheck.errors import UsageError
from gradcheck.results import GRAPH, LAYER, LOSS, NODE, OBJECT
from gradcheck.spec import graph as graph_spec
from gradcheck.spec.model import Exercise, InputSpec, Sheet

CONSTANT_ENTRIES = 64   # a constant with more entries is named by its shape, not written out


def sheet_argument(sheet: Sheet, where: str | os.PathLike[str] = ".") -> str:
    """How to name ``sheet`` on a command line run in ``where``: a bundled sheet by its name,
    any other by its spec file's path relative to ``where`` (quoted for the shell).

    >>> from gradcheck.spec import load_sheet
    >>> sheet_argument(load_sheet("sheet01"))
    'sheet01'
    """
    from gradcheck.spec import BUNDLED

    spec = Path(sheet.path).resolve() if sheet.path else None
    if spec is None or spec == (BUNDLED / f"{sheet.name}.yaml").resolve():
        return sheet.name
    return shlex.quote(os.path.relpath(spec, Path(where).resolve()))


def render_template(sheet: Sheet, where: str | os.PathLike[str] = ".") -> str:
    """The text of ``<module>.py`` for ``sheet``, its grading command run in ``where``."""
    header = [f'"""{sheet.title}', ""]
    if sheet.description:
        header += [sheet.description.strip(), ""]
    header += [
        "Replace each `raise NotImplementedError` with your solution, then check your work with",
        "",
        f"    gradcheck grade {sheet_argument(sheet, where)}",
        "",
        "Derivatives use the layout f.shape + x.shape: the Jacobian of f: Rⁿ → Rᵐ is m × n,",
        "and the gradient of a scalar function has the shape of its input.",
    ]
    if sheet.forbid:
        header += ["", *textwrap.wrap("Not allowed on this sheet: importing "
                                      + ", ".join(sheet.forbid) + ".", width=92)]
    header += ['"""', "", "import numpy as np", ""]
    spec = Path(sheet.path).name if sheet.path else "the spec"
    blocks = [_block(e, spec) for e in sheet.automatic]
    return "\n".join(header) + "\n" + "\n".join(blocks)


def write_template(sheet: Sheet, folder: Path, *, force: bool = False) -> Path:
    """Write ``<module>.py`` into ``folder``; refuses to overwrite an existing file."""
    path = folder / f"{sheet.module}.py"
    if path.exists() and not force:
        raise UsageError(f"{path} already exists; not overwriting it (use --force to replace "
                         "it, or move it away first)")
    path.write_text(render_template(sheet, folder), encoding="utf-8")
    return path


def _block(exercise: Exercise, spec: str) -> str:
    if exercise.kind == GRAPH:
        return graph_spec.template_block(exercise, _heading(exercise))
    if exercise.kind == NODE:
        return _node_block(exercise, spec)
    if exercise.kind == LAYER:
        return _layer_block(exercise, spec)
    if exercise.kind == OBJECT:
        return _object_block(exercise)
    params = ", ".join((*exercise.input_names, *exercise.params))
    wrt = ", ".join(exercise.wrt)
    lines = _heading(exercise) + ["Args:", *_args(exercise), *_constants(exercise, spec),
                                  "", "Returns:",
                                  f"    {exercise.returns or 'the derivative'}"
                                  + ("" if exercise.returns else f" with respect to {wrt}")]
    if exercise.kind == LOSS:
        grads = ", ".join(f"d{name}" for name in exercise.wrt)
        lines[-1] = (f"    {exercise.returns or 'the loss and its gradients'}: (loss, {grads}), "
                     "each gradient with its input's shape")
    elif exercise.multi:
        lines.append(f"    in the order ({wrt})")
    return (f"\ndef {exercise.student}({params}):\n{_indent(_quote(lines), 4)}\n"
            f"    raise NotImplementedError\n")


def _node_block(exercise: Exercise, spec: str) -> str:
    names = (*exercise.input_names, *exercise.params)
    differentiable = exercise.differentiable
    grads = ", ".join(f"d{name}" for name in differentiable) \
        + ("," if len(differentiable) == 1 else "")
    forward = [f"Forward pass: return {exercise.returns or exercise.function.text}; keep "
               "what backward needs.", "", "Args:", *_args(exercise)]
    per = "per input" if len(differentiable) == len(exercise.inputs) else "per non-data input"
    backward = [f"Backward pass: return ({grads}), one gradient {per}, each with its input's",
                "shape.", "", "Args:", "    grad_output: the gradient with respect to "
                "forward's output (same shape)"]
    heading = _heading(exercise)[:-1] + _constants(exercise, spec)
    return (f"\nclass {exercise.student}:\n{_indent(_quote(heading), 4)}\n\n"
            f"    def forward({', '.join(['self', *names])}):\n"
            f"{_indent(_quote(forward), 8)}\n        raise NotImplementedError\n\n"
            f"    def backward(self, grad_output):\n"
            f"{_indent(_quote(backward), 8)}\n        raise NotImplementedError\n")


def _layer_block(exercise: Exercise, spec: str) -> str:
    names = ", ".join((*exercise.input_names, *exercise.params))
    outs = ", ".join(exercise.output_names)
    douts = ", ".join(f"d{n}" for n in exercise.output_names)
    grads = ", ".join(f"d{n}" for n in exercise.wrt) + ("," if len(exercise.wrt) == 1 else "")
    formulas = [line for n, e in exercise.outputs
                for line in textwrap.wrap(f"{n} = {e.text}", width=84, initial_indent="    ",
                                          subsequent_indent="        ")]
    forward = _heading(exercise) + [f"Forward pass: return ({outs}, cache), where", *formulas,
                                     "The cache holds whatever the backward pass needs.", "",
                                     "Args:", *_args(exercise),
                                     *_constants(exercise, spec)]
    backward = [f"Backward pass of {exercise.student}: return ({grads}),",
                "each with its input's shape.", "", "Args:",
                *[f"    d{n}: the upstream gradient of {n} (same shape)"
                  for n in exercise.output_names],
                f"    cache: what {exercise.student} returned as its cache"]
    return (f"\ndef {exercise.student}({names}):\n{_indent(_quote(forward), 4)}\n"
            f"    raise NotImplementedError\n\n\n"
            f"def {exercise.backward}({douts}, cache):\n{_indent(_quote(backward), 4)}\n"
            f"    raise NotImplementedError\n")


def _object_block(exercise: Exercise) -> str:
    protocol = exercise.protocol
    weights = protocol.get("weights")
    if weights is None:
        value, grad, backward = (protocol[k] for k in ("value", "grad", "backward"))
        used = {step[0] for step in protocol["program"]}
        needed = [symbol for op, symbol in _VALUE_OPS if op in used]
        doc = _heading(exercise) + textwrap.wrap(
            f"A scalar that records how it was computed: {exercise.student}(x) holds x in "
            f".{value} and its gradient in .{grad} (0 until {backward}() is called). "
            f"Needed here: {', '.join(needed)} (with a number on either side of an "
            f"operator); result.{backward}() fills .{grad} of every {exercise.student} the "
            f"result depends on. Graded: {exercise.function.text}", width=88)
        return (f"\nclass {exercise.student}:\n{_indent(_quote(doc), 4)}\n\n"
                f"    def __init__(self, {value}):\n        raise NotImplementedError\n\n"
                f"    def {backward}(self):\n        raise NotImplementedError\n")
    called = [n for n in exercise.input_names if n not in weights]
    doc = _heading(exercise) + textwrap.wrap(
        f"Holds its weights ({', '.join(weights)}); forward returns "
        f"{exercise.function.text}; backward(dout) returns the gradient of "
        + (called[0] if len(called) == 1 else "(" + ", ".join(called) + ")")
        + " and stores " + ", ".join(f"the gradient of {n} in self.{a}"
                                     for n, a in weights.items()) + ".", width=88) + [
        "", "Args:", *_args(exercise)]
    init = ", ".join(["self", *weights, *exercise.params])
    return (f"\nclass {exercise.student}:\n{_indent(_quote(doc), 4)}\n\n"
            f"    def __init__({init}):\n        raise NotImplementedError\n\n"
            f"    def forward({', '.join(['self', *called])}):\n"
            f"        raise NotImplementedError\n\n"
            f"    def backward(self, dout):\n        raise NotImplementedError\n")


def _heading(exercise: Exercise) -> list[str]:
    lines = [f"Exercise {exercise.id} ({_points(exercise.points)}): {exercise.title}", ""]
    if exercise.description:
        lines += [exercise.description.strip(), ""]
    return lines


def _args(exercise: Exercise) -> list[str]:
    return [f"    {i.name}: {_describe(i, exercise)}" for i in exercise.inputs] + [
        f"    {name}: {value!r}" for name, value in exercise.params.items()]


def _constants(exercise: Exercise, spec: str) -> list[str]:
    """The spec's constants that the exercise's expressions use, with their values (a large
    one by its shape): the student's derivative needs them. Constants that stand for
    parameters are left out: those arrive as arguments."""
    used = set().union(*(e.names for e in (exercise.function, *(e for _, e in exercise.let),
                                            *(e for _, e in exercise.outputs),
                                            *exercise.where) if e is not None))
    from_params = set(exercise.params) | {f"{name}_{key}" for name, value in
                                          exercise.params.items() if isinstance(value, dict)
                                          for key in value}
    lines = []
    for name, value in exercise.constants.items():
        if name not in used or name in from_params:
            continue
        array = np.asarray(value, dtype=float)
        if array.size > CONSTANT_ENTRIES:
            lines.append(f"    {name} = an array of shape {array.shape}, given in {spec} "
                         f"(constants: {name})")
            continue
        lines += textwrap.wrap(f"{name} = {_literal(array.tolist())}", width=84,
                               initial_indent="    ", subsequent_indent="        ")
    return ["", "Constants:", *lines] if lines else []


def _literal(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(float(value))


def _quote(lines: list[str]) -> str:
    text = "\n".join(lines).replace('"""', "'''")
    return f'"""{text}\n"""' if len(lines) > 1 else f'"""{text}"""'


def _describe(spec: InputSpec, exercise: Exercise) -> str:
    shapes = exercise.shapes[spec.shape] if isinstance(spec.shape, str) else (spec.shape,)
    scalar, array = _DATA_WORDS.get(spec.dtype, ("a float", "an array"))
    options = [scalar if not shape else f"{array} of shape {_shape_text(shape)}"
               for shape in shapes]
    text = " or ".join(options)
    if spec.dtype == "int":
        low, high = spec.range
        text += f", entries from {low} to {high} - 1"
    elif spec.is_data:
        text += f", each entry {'True' if spec.dtype == 'bool' else '1'} with probability " \
                f"{spec.keep:g}"
    return text


_VALUE_OPS = (("add", "+"), ("sub", "-"), ("mul", "*"), ("truediv", "/"),
              ("pow", "** (a number)"), ("neg", "unary -"), ("tanh", "tanh()"),
              ("relu", "relu()"), ("exp", "exp()"), ("log", "log()"), ("sigmoid", "sigmoid()"))
_DATA_WORDS = {"int": ("an int", "an integer array"), "bool": ("a bool", "a boolean array"),
               "mask": ("a 0/1 float", "a 0/1 float array (a mask)")}


def _shape_text(shape: tuple[int | str, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _points(points: float) -> str:
    value = int(points) if float(points).is_integer() else points
    return f"{value} point" + ("" if value == 1 else "s")


def _indent(text: str, spaces: int) -> str:
    return textwrap.indent(text, " " * spaces)
