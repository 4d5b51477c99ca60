"""What a spec becomes: frozen :class:`Sheet`, :class:`Exercise`, :class:`InputSpec`,
:class:`Tolerance` (built by :mod:`gradcheck.spec.reader`, used by everything that grades).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradcheck import engine, expr
from gradcheck.results import MANUAL
from gradcheck.spec.graph import GraphSpec
from gradcheck.spec.sizes import read_back

DEFAULT_POINTS_AT = ({"random": 5},)


@dataclass(frozen=True)
class Tolerance:
    """Per-exercise overrides of the comparison tolerance (None: compare.py's defaults)."""

    rtol: float | None = None
    atol: float | None = None


@dataclass(frozen=True)
class InputSpec:
    """One input of an exercise: its shape (ints, size names, or a name from ``shapes``)
    and the intervals its entries are drawn from.

    ``dtype`` "float" (the default) is a differentiable input; the others are *data*, which
    receive no gradient: "int" (entries drawn from ``range(low, high)``, bounds that are
    integers or size names: class labels, index arrays), "bool" (True with probability
    ``keep``) and "mask" (a float 0/1 array, 1 with probability ``keep``)."""

    name: str
    shape: tuple[int | str, ...] | str
    domain: tuple[tuple[float, float], ...]
    line: int = 0
    dtype: str = "float"
    range: tuple[int | str, int | str] | None = None
    keep: float = 0.5

    @property
    def is_data(self) -> bool:
        return self.dtype != "float"


@dataclass(frozen=True)
class Exercise:
    """One exercise of a sheet. ``kind`` is derivative, node, graph or manual; a graph
    exercise has its ``graph`` part (:mod:`gradcheck.spec.graph`)."""

    id: str
    title: str
    points: float
    kind: str
    student: str = ""
    function: expr.Expression | None = None
    inputs: tuple[InputSpec, ...] = ()
    sizes: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    derived: Mapping[str, str] = field(default_factory=dict)  # size name -> formula of sizes
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
    params: Mapping[str, Any] = field(default_factory=dict)   # passed after the inputs
    backward: str = ""                                         # layer: X_backward's name
    outputs: tuple[tuple[str, expr.Expression], ...] = ()      # layer: its outputs, in order
    protocol: Mapping[str, Any] = field(default_factory=dict)  # object: how it is driven
    graph: GraphSpec | None = None
    uses: tuple[str, ...] = ()   # earlier exercises this one builds on (spec/uses.py)

    @property
    def automatic(self) -> bool:
        return self.kind != MANUAL

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.inputs)

    @property
    def differentiable(self) -> tuple[str, ...]:
        """The inputs that are not data: the ones a gradient is taken with respect to."""
        return tuple(i.name for i in self.inputs if not i.is_data)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.outputs)

    def param_values(self) -> list[Any]:
        """The ``params`` as the student receives them, after the inputs, in order."""
        return list(self.params.values())

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)

    def size_values(self, shapes: Mapping[str, tuple[int, ...]]) -> dict[str, int]:
        """The sizes at a point, read back from the inputs' ``shapes`` (and the fixed sizes);
        remembered per combination of shapes (validate evaluates a point thousands of times)."""
        key = tuple(shapes.get(spec.name) for spec in self.inputs)
        cache = self.__dict__.setdefault("_size_cache", {})  # not a field: outside eq and repr
        if key not in cache:
            if len(cache) > 1000:
                cache.clear()
            cache[key] = self._read_sizes(shapes)
        return dict(cache[key])

    def _read_sizes(self, shapes: Mapping[str, tuple[int, ...]]) -> dict[str, int]:
        dims = {}
        for spec in self.inputs:
            if isinstance(spec.shape, str):  # a named shape: only if its rank tells the choice
                choices = [c for c in self.shapes[spec.shape]
                           if len(c) == len(shapes.get(spec.name, ()))]
                if len(choices) == 1:
                    dims[spec.name] = choices[0]
            else:
                dims[spec.name] = spec.shape
        fixed = {name: low for name, (low, high) in self.sizes.items()
                 if low == high and name not in self.derived}
        return read_back(dims, shapes, fixed, self.derived)

    def add_sizes(self, env: dict[str, Any], values: Mapping[str, Any]) -> None:
        """Give ``env`` the size names' values (int64) at the point ``values`` (arrays or
        nodes), so that expressions can use them (``sqrt(d)``, ``reshape(x, (N, -1))``)."""
        if self.sizes:
            shapes = {k: np.shape(getattr(v, "value", v)) for k, v in values.items()}
            for name, n in self.size_values(shapes).items():
                env.setdefault(name, np.int64(n))

    def build(self, **nodes: engine.Node) -> engine.Node:
        """The exercise's function as an engine graph of the given input nodes."""
        env: dict[str, Any] = {k: engine.constant(v) for k, v in self.constants.items()}
        env.update(nodes)
        self.add_sizes(env, nodes)
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
        self.add_sizes(env, values)
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
