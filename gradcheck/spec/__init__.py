"""Exercise specs: YAML files -> frozen ``Sheet`` / ``Exercise`` objects, validated.

Every error is a ``SpecError`` naming the file, the line and the key. The format is
documented in ``docs/spec-format.md``; bundled sheets live in ``gradcheck/exercises/``.

>>> sheet = load_sheet("sheet01")
>>> sheet.module, sheet.exercises[0].student
('sheet01', 'd_1a')
"""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gradcheck import engine, expr
from gradcheck.errors import SpecError
from gradcheck.results import MANUAL
from gradcheck.spec.yamlfile import load_located

DEFAULT_POINTS_AT = ({"random": 5},)


@dataclass(frozen=True)
class Tolerance:
    """Per-exercise overrides of the comparison tolerance (None: compare.py's defaults)."""

    rtol: float | None = None
    atol: float | None = None


@dataclass(frozen=True)
class InputSpec:
    """One input of an exercise: its shape (ints, size names, or a name from ``shapes``)
    and the intervals its entries are drawn from."""

    name: str
    shape: tuple[int | str, ...] | str
    domain: tuple[tuple[float, float], ...]
    line: int = 0


@dataclass(frozen=True)
class Exercise:
    """One exercise of a sheet. ``kind`` is derivative, node or manual."""

    id: str
    title: str
    points: float
    kind: str
    student: str = ""
    function: expr.Expression | None = None
    inputs: tuple[InputSpec, ...] = ()
    sizes: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    shapes: Mapping[str, tuple[tuple[int | str, ...], ...]] = field(default_factory=dict)
    constants: Mapping[str, np.ndarray] = field(default_factory=dict)
    let: tuple[tuple[str, expr.Expression], ...] = ()
    wrt: tuple[str, ...] = ()
    multi: bool = False
    where: tuple[expr.Expression, ...] = ()
    points_at: tuple[Mapping[str, Any], ...] = DEFAULT_POINTS_AT
    tolerance: Tolerance = Tolerance()
    description: str = ""
    returns: str = ""
    line: int = 0
    lines: Mapping[str, int] = field(default_factory=dict)

    @property
    def automatic(self) -> bool:
        return self.kind != MANUAL

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.inputs)

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)

    def build(self, **nodes: engine.Node) -> engine.Node:
        """The exercise's function as an engine graph of the given input nodes."""
        env: dict[str, Any] = {k: engine.constant(v) for k, v in self.constants.items()}
        env.update(nodes)
        for name, definition in self.let:
            env[name] = definition.build(env)
        return self.function.build(env)

    def evaluate(self, values: Mapping[str, Any]) -> np.ndarray:
        """The function's value at ``values`` (no graph)."""
        env = self.environment(values)
        return np.asarray(self.function.evaluate(env), dtype=float)

    def environment(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Constants, inputs and ``let`` definitions evaluated at ``values``."""
        env: dict[str, Any] = dict(self.constants)
        env.update(values)
        for name, definition in self.let:
            env[name] = definition.evaluate(env)
        return env


@dataclass(frozen=True)
class Sheet:
    """A whole exercise sheet as loaded from its YAML file."""

    name: str
    title: str
    module: str
    seed: int
    exercises: tuple[Exercise, ...]
    timeout: float | None = None
    forbid: tuple[str, ...] = ()
    description: str = ""
    path: str = ""
    sha256: str = ""

    @property
    def automatic(self) -> tuple[Exercise, ...]:
        return tuple(e for e in self.exercises if e.automatic)

    @property
    def max_score(self) -> float:
        return float(sum(e.points for e in self.automatic))

    @property
    def manual_points(self) -> float:
        return float(sum(e.points for e in self.exercises if not e.automatic))

    def exercise(self, exercise_id: str) -> Exercise:
        for e in self.exercises:
            if e.id == exercise_id:
                return e
        raise KeyError(exercise_id)


# --- finding and loading -------------------------------------------------------------------

BUNDLED = Path(__file__).resolve().parent.parent / "exercises"


def bundled_sheets() -> list[str]:
    """Names of the sheets shipped inside the package, sorted."""
    return sorted(p.stem for p in BUNDLED.glob("*.yaml"))


def find_spec(name_or_path: str) -> Path:
    """A spec file: a path (ending in .yaml/.yml, naming a file, or with a folder in it), or
    else the name of a bundled sheet. A folder named like a sheet (``sheet01/``, where a
    student keeps the work) does not hide the bundled sheet."""
    path = Path(name_or_path)
    looks_like_path = path.suffix in (".yaml", ".yml") or path.is_file() \
        or "/" in name_or_path or os.sep in name_or_path
    if looks_like_path:
        if path.is_dir():
            raise SpecError("is a folder, not a spec file (give the .yaml file, or the name of "
                            "a bundled sheet)", file=str(path))
        if not path.is_file():
            raise SpecError("no such spec file", file=str(path))
        return path
    bundled = BUNDLED / f"{name_or_path}.yaml"
    if bundled.is_file():
        return bundled
    sheets = bundled_sheets()
    hint = difflib.get_close_matches(name_or_path, sheets, n=1)
    message = f"no sheet named {name_or_path!r} and no such file"
    if hint:
        message += f"; did you mean {hint[0]!r}?"
    raise SpecError(message + f" (bundled sheets: {', '.join(sheets)})", file=name_or_path)


def load_sheet(name_or_path: str | Path) -> Sheet:
    """Load and validate a sheet by bundled name or file path."""
    path = find_spec(str(name_or_path))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"not UTF-8 text ({exc.reason})", file=str(path)) from None
    return parse_sheet(text, file=str(path), sha256=hashlib.sha256(raw).hexdigest())


def parse_sheet(text: str, *, file: str = "<spec>", sha256: str | None = None) -> Sheet:
    """Validate spec text into a ``Sheet`` (see ``docs/spec-format.md``)."""
    from gradcheck.spec.reader import SheetReader

    data = load_located(text, file)
    if sha256 is None:
        sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return SheetReader(file).sheet(data, sha256)
