"""Student templates generated from a spec: every function and class the sheet grades, with
its signature, a docstring with the math and the expected shape, and ``NotImplementedError``.

>>> from gradcheck.spec import load_sheet
>>> text = render_template(load_sheet("sheet01"))
>>> "def d_1a(x):" in text and "class Mul:" in text
True
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from gradcheck.errors import UsageError
from gradcheck.results import NODE
from gradcheck.spec import Exercise, InputSpec, Sheet


def render_template(sheet: Sheet) -> str:
    """The text of ``<module>.py`` for ``sheet``."""
    header = [f'"""{sheet.title}', ""]
    if sheet.description:
        header += [sheet.description.strip(), ""]
    header += [
        "Replace each `raise NotImplementedError` with your solution, then check your work with",
        "",
        f"    gradcheck grade {sheet.name}",
        "",
        "Derivatives use the layout f.shape + x.shape: the Jacobian of f: Rⁿ → Rᵐ is m × n,",
        "and the gradient of a scalar function has the shape of its input.",
    ]
    if sheet.forbid:
        header += ["", "Not allowed on this sheet: importing " + ", ".join(sheet.forbid) + "."]
    header += ['"""', "", "import numpy as np", ""]
    blocks = [_block(e) for e in sheet.automatic]
    return "\n".join(header) + "\n" + "\n".join(blocks)


def write_template(sheet: Sheet, folder: Path, *, force: bool = False) -> Path:
    """Write ``<module>.py`` into ``folder``; refuses to overwrite an existing file."""
    path = folder / f"{sheet.module}.py"
    if path.exists() and not force:
        raise UsageError(f"{path} already exists; not overwriting it (use --force to replace "
                         "it, or move it away first)")
    path.write_text(render_template(sheet), encoding="utf-8")
    return path


def _block(exercise: Exercise) -> str:
    doc = _docstring(exercise)
    if exercise.kind == NODE:
        params = ", ".join(["self", *exercise.input_names])
        grads = ", ".join(f"d{name}" for name in exercise.input_names)
        grads += "," if len(exercise.input_names) == 1 else ""
        return (
            f"\nclass {exercise.student}:\n"
            f"{_indent(doc, 4)}\n\n"
            f"    def forward({params}):\n"
            f'        """Return the output; remember what backward will need."""\n'
            f"        raise NotImplementedError\n\n"
            f"    def backward(self, grad_output):\n"
            f'        """Return a tuple ({grads}) with one gradient per input, each with '
            f'its input\'s shape."""\n'
            f"        raise NotImplementedError\n"
        )
    params = ", ".join(exercise.input_names)
    return (f"\ndef {exercise.student}({params}):\n{_indent(doc, 4)}\n"
            f"    raise NotImplementedError\n")


def _docstring(exercise: Exercise) -> str:
    lines = [f"Exercise {exercise.id} ({_points(exercise.points)}): {exercise.title}", ""]
    if exercise.description:
        lines += [exercise.description.strip(), ""]
    lines.append("Args:")
    lines += [f"    {i.name}: {_describe(i, exercise)}" for i in exercise.inputs]
    if exercise.kind == NODE:
        lines += ["", f"Forward computes {exercise.function.text}; backward returns one "
                  "gradient per input."]
    else:
        wrt = ", ".join(exercise.wrt)
        lines += ["", "Returns:", f"    {exercise.returns or 'the derivative'}"
                  + ("" if exercise.returns else f" with respect to {wrt}")]
        if exercise.multi:
            lines.append(f"    in the order ({wrt})")
    text = "\n".join(lines).replace('"""', "'''")
    return f'"""{text}\n"""'


def _describe(spec: InputSpec, exercise: Exercise) -> str:
    if isinstance(spec.shape, str):
        choices = exercise.shapes[spec.shape]
        return "a float or an array of shape " + " or ".join(
            _shape_text(s) for s in choices if s)
    return "a float" if not spec.shape else f"an array of shape {_shape_text(spec.shape)}"


def _shape_text(shape: tuple[int | str, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _points(points: float) -> str:
    value = int(points) if float(points).is_integer() else points
    return f"{value} point" + ("" if value == 1 else "s")


def _indent(text: str, spaces: int) -> str:
    return textwrap.indent(text, " " * spaces)
