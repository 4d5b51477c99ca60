"""Validation of spec data: located YAML -> ``Sheet``, every error with file, line and key.

>>> from gradcheck.spec.yamlfile import load_located
>>> text = "sheet: s\\ntitle: t\\nexercises:\\n  - {id: a, title: t, points: 0, kind: manual}\\n"
>>> SheetReader("s.yaml").sheet(load_located(text, "s.yaml"), "")
Traceback (most recent call last):
gradcheck.errors.SpecError: s.yaml:4: points: must be positive, not 0
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from gradcheck import expr
from gradcheck.results import DERIVATIVE, GRAPH, KINDS, LAYER, LOSS, MANUAL, NODE, OBJECT
from gradcheck.spec import graph as graph_spec
from gradcheck.spec import uses
from gradcheck.spec.bounds import check_sheet
from gradcheck.spec.data import DATA_KEYS, read_data_input, read_params
from gradcheck.spec.fields import FieldReader, type_name
from gradcheck.spec.layer import read_gradients, read_outputs
from gradcheck.spec.located import LocatedDict, LocatedList
from gradcheck.spec.model import DEFAULT_POINTS_AT, Exercise, InputSpec, Sheet, Tolerance
from gradcheck.spec.objects import read_protocol
from gradcheck.spec.sizes import check_readable, is_name, read_derived, read_formula

SHEET_KEYS = ("sheet", "title", "module", "seed", "timeout", "forbid", "tolerance",
              "description", "exercises")
_GRADED_KEYS = ("id", "title", "points", "kind", "description", "returns", "student", "function",
                "inputs", "sizes", "shapes", "constants", "let", "wrt", "where", "points_at",
                "tolerance", "params", "uses")
EXERCISE_KEYS = {
    DERIVATIVE: _GRADED_KEYS,
    NODE: tuple(k for k in _GRADED_KEYS if k != "wrt"),  # a node answers for every input
    GRAPH: graph_spec.KEYS,  # each part's own keys: spec.graph.read
    MANUAL: ("id", "title", "points", "kind", "description"),
    LAYER: tuple(k for k in _GRADED_KEYS if k != "student") + ("forward", "backward"),
    LOSS: _GRADED_KEYS,
    OBJECT: tuple(k for k in _GRADED_KEYS if k != "wrt") + ("protocol",),
}
INPUT_KEYS = ("shape", "domain")
TOLERANCE_KEYS = ("rtol", "atol")
DEFAULT_DOMAIN = ((-2.0, 2.0),)
MAX_RANDOM_POINTS = 100
MAX_SIZE = 64
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SHEET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")



class SheetReader(FieldReader):
    """Turns located YAML data into a Sheet, raising SpecError with file, line and key."""

    # --- the sheet

    def sheet(self, data: Any, sha256: str) -> Sheet:
        if not isinstance(data, dict):
            raise self.error("a spec must be a mapping with the keys "
                             f"{', '.join(SHEET_KEYS)}", line=1)
        self.check_keys(data, SHEET_KEYS, "the sheet")
        name = self.string(data, "sheet", "sheet", pattern=_SHEET_NAME)
        module = self.string(data, "module", "sheet", pattern=_IDENTIFIER, required=False,
                             default=name if _IDENTIFIER.match(name) else "")
        if not module:
            raise self.error("missing (the sheet name is not a module name)", data, "module")
        seed = 0
        if data.get("seed") is not None:
            if isinstance(data["seed"], bool) or not isinstance(data["seed"], int) \
                    or data["seed"] < 0:
                raise self.error("must be a non-negative integer", data, "seed")
            seed = data["seed"]
        timeout = self.positive(data, "timeout") if data.get("timeout") is not None else None
        forbid = tuple(self.names(data, "forbid")) if data.get("forbid") is not None else ()
        default_tolerance = self.tolerance(data, Tolerance())
        exercises_data = self.require(data, "exercises", "sheet")
        if not isinstance(exercises_data, list) or not exercises_data:
            raise self.error("must be a non-empty list of exercises", data, "exercises")
        exercises: list[Exercise] = []
        for i, item in enumerate(exercises_data):
            if not isinstance(item, dict):
                raise self.error(f"each exercise is a mapping, not {type_name(item)}",
                                 line=exercises_data.line_of(i), key="exercises")
            ex = self.exercise(item, default_tolerance)
            for other in exercises:
                if other.id == ex.id:
                    raise self.error(f"duplicate exercise id {ex.id!r} (first on line "
                                     f"{other.line})", item, "id")
                if ex.student and other.student == ex.student:
                    raise self.error(f"{ex.student!r} is already the student name of "
                                     f"exercise {other.id}", item, "student")
            exercises.append(ex)
        exercises = graph_spec.link(exercises, self)
        exercises = uses.link(exercises, [e for e in exercises_data if isinstance(e, dict)], self)
        sheet = Sheet(name=name, title=self.string(data, "title", "sheet"), module=module,
                      seed=seed, exercises=tuple(exercises), timeout=timeout, forbid=forbid,
                      description=self.string(data, "description", "sheet", required=False),
                      path=self.file, sha256=sha256)
        check_sheet(self, data, sheet)
        return sheet

    def names(self, mapping: LocatedDict, key: str) -> list[str]:
        value = mapping[key]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error("must be a list of names", mapping, key)
        return list(value)

    def tolerance(self, mapping: LocatedDict, default: Tolerance) -> Tolerance:
        if mapping.get("tolerance") is None:
            return default
        tol = self.mapping(mapping["tolerance"], mapping, "tolerance")
        self.check_keys(tol, TOLERANCE_KEYS, "tolerance")
        values = {k: self.positive(tol, k) for k in TOLERANCE_KEYS if tol.get(k) is not None}
        return Tolerance(rtol=values.get("rtol", default.rtol),
                         atol=values.get("atol", default.atol))

    # --- one exercise

    def exercise(self, data: LocatedDict, default_tolerance: Tolerance) -> Exercise:
        kind = self.string(data, "kind", "exercise", required=False, default=DERIVATIVE)
        if kind not in KINDS:
            raise self.error(f"unknown kind {kind!r} (allowed: {', '.join(KINDS)})", data,
                             "kind")
        self.check_keys(data, EXERCISE_KEYS[kind], f"a {kind} exercise")
        ex_id = self.string(data, "id", "exercise")
        self.require(data, "points", "exercise")
        common = dict(id=ex_id, title=self.string(data, "title", "exercise"),
                      points=self.positive(data, "points"), kind=kind,
                      description=self.string(data, "description", "exercise", required=False),
                      line=data.line, lines=dict(data.lines))
        if kind == MANUAL:
            return Exercise(**common)
        student = self.string(data, "forward" if kind == LAYER else "student", "exercise",
                              pattern=_IDENTIFIER)
        graph = graph_spec.read(self, data) if kind == GRAPH else None
        if graph is not None and graph.needs_forward:  # completed by graph_spec.link
            return Exercise(**common, student=student, graph=graph,
                            tolerance=self.tolerance(data, default_tolerance),
                            returns=self.string(data, "returns", "exercise", required=False))
        sizes, derived = self.sizes(data)
        shapes = self.shapes(data, sizes)
        inputs = self.inputs(data, sizes, shapes)
        names = {i.name for i in inputs}
        clash = sorted(names & set(sizes))
        if clash:
            raise self.error(f"{clash[0]!r} is both a size and an input", data, "sizes")
        constants = self.constants(data, names | set(sizes))
        params, from_params = read_params(self, data, names | set(constants) | set(sizes))
        constants.update(from_params)
        known = names | set(constants) | set(sizes)
        let = self.lets(data, known)
        known |= {name for name, _ in let}
        layer: dict = {}
        if kind == LAYER:
            function, layer["outputs"] = read_outputs(self, data, known)
            layer["backward"] = self.string(data, "backward", "layer exercise",
                                            pattern=_IDENTIFIER)
        else:
            function = self.expression(self.require(data, "function", "exercise"), data,
                                       "function", known)
        where = self.constraints(data, known)
        used = set().union(function.names if function is not None else set(),
                           *(e.names for _, e in let), *(e.names for e in where),
                           *(e.names for _, e in layer.get("outputs", ())))
        check_readable(self, data, sizes, inputs, used, derived)
        if kind == OBJECT:
            layer.update(read_protocol(self, data, inputs, let, constants, function))
            wrt, multi = layer.pop("wrt"), True
        elif kind == LAYER:
            wrt, multi = read_gradients(self, data, tuple(i.name for i in inputs
                                                          if not i.is_data),
                                        {i.name for i in inputs if i.is_data}), True
        elif kind == GRAPH:  # every input is a node of the graph
            wrt, multi = tuple(i.name for i in inputs), True
        else:
            wrt, multi = self.wrt(data, kind, names)
            multi = multi or kind == LOSS
        for name in wrt:
            if name in {i.name for i in inputs if i.is_data}:
                raise self.error(f"{name!r} is a data input: it receives no gradient", data,
                                 "wrt")
        return Exercise(**common, student=student, graph=graph, function=function,
                        inputs=inputs,
                        sizes=sizes, derived=derived, shapes=shapes, constants=constants,
                        let=let, wrt=wrt,
                        multi=multi, where=where, points_at=self.points_at(data, names),
                        tolerance=self.tolerance(data, default_tolerance), params=params,
                        **layer,
                        returns=self.string(data, "returns", "exercise", required=False))

    def sizes(self, data: LocatedDict) -> tuple[dict[str, tuple[int, int]], dict[str, str]]:
        """``(sizes, derived)``: every size's range, and the formulas of derived sizes."""
        if data.get("sizes") is None:
            return {}, {}
        sizes = self.mapping(data["sizes"], data, "sizes")
        result: dict[str, tuple[int, int]] = {}
        derived: dict[str, str] = {}
        for name, value in sizes.items():
            if not isinstance(name, str) or not _IDENTIFIER.match(name):
                raise self.error(f"{name!r} is not a valid size name", sizes, str(name))
            if isinstance(value, str):  # derived: a formula of the sizes above it
                result[name] = read_derived(self, value, sizes, name, result)
                derived[name] = value
                continue
            bounds = value if isinstance(value, list) else [value, value]
            if len(bounds) != 2 or not all(isinstance(b, int) and not isinstance(b, bool)
                                           for b in bounds):
                raise self.error("a size is an integer or a range [low, high] of integers",
                                 sizes, name)
            low, high = bounds
            if not 1 <= low <= high <= MAX_SIZE:
                raise self.error(f"size range must satisfy 1 <= low <= high <= {MAX_SIZE}",
                                 sizes, name)
            result[name] = (low, high)
        return result, derived

    def shape(self, value: Any, where: Any, key: str, sizes: Mapping[str, Any]
              ) -> tuple[int | str, ...]:
        if not isinstance(value, list):
            raise self.error("a shape is a list of sizes, e.g. [] or [3] or [m, n]", where, key)
        dims: list[int | str] = []
        for dim in value:
            if isinstance(dim, int) and not isinstance(dim, bool) and 1 <= dim <= MAX_SIZE:
                dims.append(dim)
            elif isinstance(dim, str) and dim in sizes:
                dims.append(dim)
            elif isinstance(dim, str) and not is_name(dim):
                dims.append(read_formula(self, dim, where, key, sizes))
            else:
                known = ", ".join(sizes) or "none declared"
                raise self.error(f"dimension {dim!r} is neither an integer in 1..{MAX_SIZE}, "
                                 f"a size declared under 'sizes' ({known}), nor a formula of "
                                 "sizes such as d1*d2", where, key)
        return tuple(dims)

    def shapes(self, data: LocatedDict, sizes: Mapping[str, Any]
               ) -> dict[str, tuple[tuple[int | str, ...], ...]]:
        if data.get("shapes") is None:
            return {}
        shapes = self.mapping(data["shapes"], data, "shapes")
        result = {}
        for name, choices in shapes.items():
            if not isinstance(choices, list) or not choices:
                raise self.error("must be a non-empty list of shapes", shapes, str(name))
            result[str(name)] = tuple(self.shape(c, shapes, str(name), sizes) for c in choices)
        return result

    def inputs(self, data: LocatedDict, sizes: Mapping[str, Any],
               shapes: Mapping[str, Any]) -> tuple[InputSpec, ...]:
        inputs = self.mapping(self.require(data, "inputs", "exercise"), data, "inputs")
        if not inputs:
            raise self.error("needs at least one input", data, "inputs")
        result = []
        for name, spec in inputs.items():
            if not isinstance(name, str) or not _IDENTIFIER.match(name) or name in ("pi", "e"):
                raise self.error(f"{name!r} is not a valid input name", inputs, str(name))
            if spec is None:
                spec = LocatedDict()
                spec.line, spec.lines = inputs.line_of(name), {}
            spec = self.mapping(spec, inputs, name)
            self.check_keys(spec, INPUT_KEYS + DATA_KEYS, f"input {name!r}")
            raw_shape = spec.get("shape", [])
            if isinstance(raw_shape, str):
                if raw_shape not in shapes:
                    raise self.error(f"shape {raw_shape!r} is not declared under 'shapes'",
                                     spec, "shape")
                shape: tuple[int | str, ...] | str = raw_shape
            else:
                shape = self.shape(raw_shape, spec, "shape", sizes)
            result.append(InputSpec(name=name, shape=shape, domain=self.domain(spec),
                                    line=inputs.line_of(name),
                                    **read_data_input(self, spec, name, sizes)))
        return tuple(result)

    def domain(self, spec: LocatedDict) -> tuple[tuple[float, float], ...]:
        if spec.get("domain") is None:
            return DEFAULT_DOMAIN
        value = spec["domain"]
        nested = isinstance(value, list) and value and isinstance(value[0], list)
        intervals = value if nested else [value]
        result = []
        for interval in intervals:
            if not isinstance(interval, list) or len(interval) != 2:
                raise self.error("a domain is [low, high] or a list of such intervals",
                                 spec, "domain")
            low, high = (self.number(v, spec, "domain") for v in interval)
            if not low < high:
                raise self.error(f"empty domain [{low:g}, {high:g}]: low must be below high",
                                 spec, "domain")
            result.append((low, high))
        return tuple(result)

    def constants(self, data: LocatedDict, inputs: set[str]) -> dict[str, np.ndarray]:
        if data.get("constants") is None:
            return {}
        constants = self.mapping(data["constants"], data, "constants")
        result = {}
        for name, value in constants.items():
            if not isinstance(name, str) or not _IDENTIFIER.match(name) or name in inputs:
                raise self.error(f"{name!r} is not a valid constant name (or clashes with an "
                                 "input)", constants, str(name))
            try:
                array = np.array(value, dtype=float)
            except (TypeError, ValueError, OverflowError):
                raise self.error("a constant is a number or a (nested) list of numbers",
                                 constants, name) from None
            if not np.all(np.isfinite(array)):
                raise self.error("a constant must be finite", constants, name)
            result[name] = array
        return result

    def lets(self, data: LocatedDict, known: set[str]) -> tuple[tuple[str, expr.Expression], ...]:
        if data.get("let") is None:
            return ()
        lets = self.mapping(data["let"], data, "let")
        result = []
        known = set(known)
        for name, text in lets.items():
            if not isinstance(name, str) or not _IDENTIFIER.match(name) or name in known:
                raise self.error(f"{name!r} is not a valid new name", lets, str(name))
            result.append((name, self.expression(text, lets, name, known)))
            known.add(name)
        return tuple(result)

    def constraints(self, data: LocatedDict, known: set[str]) -> tuple[expr.Expression, ...]:
        if data.get("where") is None:
            return ()
        where = data["where"]
        items = where if isinstance(where, list) else [where]
        lines = where.lines if isinstance(where, LocatedList) else {}
        result = []
        for i, text in enumerate(items):
            line = lines.get(i, data.line_of("where"))
            constraint = self.expression(text, data, "where", known, line=line)
            if not constraint.is_condition:
                raise self.error(f"{constraint.text!r} is not a condition (use a comparison "
                                 "such as 'x @ x > 0.1')", data, "where", line=line)
            result.append(constraint)
        return tuple(result)

    def wrt(self, data: LocatedDict, kind: str, names: set[str]) -> tuple[tuple[str, ...], bool]:
        if kind == NODE:
            return (), False
        value = self.require(data, "wrt", "derivative exercise")
        multi = isinstance(value, list)
        items = value if multi else [value]
        if not items:
            raise self.error("must name at least one input", data, "wrt")
        for item in items:
            if not isinstance(item, str):
                raise self.error("names the input(s) to differentiate: a name or a list of "
                                 f"names, not {type_name(item)}", data, "wrt")
            if item not in names:
                raise self.error(f"{item!r} is not an input (inputs: {', '.join(sorted(names))})",
                                 data, "wrt")
        if len(set(items)) != len(items):
            raise self.error("names an input twice", data, "wrt")
        return tuple(items), multi

    def points_at(self, data: LocatedDict, names: set[str]) -> tuple[Mapping[str, Any], ...]:
        if data.get("points_at") is None:
            return DEFAULT_POINTS_AT
        value = data["points_at"]
        if not isinstance(value, list) or not value:
            raise self.error("must be a non-empty list of points ({x: 1.0}) or {random: N}",
                             data, "points_at")
        result = []
        for i, point in enumerate(value):
            line = value.line_of(i)
            if not isinstance(point, dict) or not point:
                raise self.error("each entry is a mapping: input values, or {random: N}",
                                 data, "points_at", line=line)
            if "random" in point:
                count = point["random"]
                if len(point) != 1 or isinstance(count, bool) or not isinstance(count, int) \
                        or not 1 <= count <= MAX_RANDOM_POINTS:
                    raise self.error(f"random: N needs an integer N in 1..{MAX_RANDOM_POINTS} "
                                     "and nothing else in that entry", data, "points_at",
                                     line=line)
                result.append({"random": count})
                continue
            fixed = {}
            for name, v in point.items():
                if name not in names:
                    raise self.error(f"{name!r} is not an input (inputs: "
                                     f"{', '.join(sorted(names))})", data, "points_at",
                                     line=line)
                try:
                    fixed[name] = np.array(v, dtype=float)
                except (TypeError, ValueError, OverflowError):
                    raise self.error(f"value of {name!r} must be numbers", data, "points_at",
                                     line=line) from None
            result.append(fixed)
        return tuple(result)
