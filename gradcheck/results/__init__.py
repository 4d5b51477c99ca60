"""Frozen result types shared by every layer.

``CheckResult``    one comparison of a received derivative with the expected one
``PointResult``    one test point of an exercise (one or more comparisons)
``ExerciseResult`` one exercise: points, status, every test point
``SheetResult``    a whole graded sheet

Each has ``to_dict()`` / ``from_dict()`` producing plain JSON data (non-finite floats are
written as the strings ``"nan"``, ``"inf"`` and ``"-inf"``; ``jsondata.strict_json`` writes
any data so, whatever field a non-finite value is in). Renderers only read these.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from gradcheck.results.jsondata import decode_float, encode_float

# Exercise and test point statuses, as shown to users.
PASS = "pass"
FAIL = "fail"
ERROR = "error"
TIMEOUT = "timeout"
NOT_IMPLEMENTED = "not implemented"
MANUAL = "manual"
STATUSES = (PASS, FAIL, ERROR, TIMEOUT, NOT_IMPLEMENTED, MANUAL)

# Exercise kinds ("manual" is both a kind and the status of such an exercise).
DERIVATIVE = "derivative"
NODE = "node"
LAYER = "layer"   # X_forward -> (out, cache) and X_backward(dout, cache) -> gradients
LOSS = "loss"     # one function returning (loss, gradients...)
OBJECT = "object"  # a stateful class graded through a declared protocol
GRAPH = "graph"   # intermediate variables, a graph, adjoints: read as text, never run
KINDS = (DERIVATIVE, NODE, MANUAL, LAYER, LOSS, OBJECT, GRAPH)

# Control characters other than tab and newline (C0, DEL, C1): printed, they would move the
# cursor, change colours or clear the screen. Text a student controls (messages, output) may
# hold them; whoever prints it removes or escapes them.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def worst(values: Any) -> float | None:
    """The largest of some errors, NaN counting as the worst; None when there are none."""
    values = [float(v) for v in values if v is not None]
    if not values:
        return None
    if any(math.isnan(v) for v in values):
        return math.nan
    return max(values)


def _index(value: Any) -> tuple[int, ...] | None:
    return None if value is None else tuple(int(i) for i in value)


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one derivative: does ``received`` match ``expected``?

    ``max_rel_error`` is measured against the scale of the whole expected array (its
    largest magnitude), so tiny entries beside large ones do not fail on noise. ``code``
    is a machine-readable diagnosis ("ok", "shape", "nonfinite", "transposed", "sign",
    "factor", "row", "column", "entry", "difference-quotient", "close", "values", "invalid"),
    or, where there is nothing to check against (not passed, and no verdict on the answer),
    "not-differentiable" (a kink) or "undecided" (f not finite, finite differences that do
    not settle); ``diagnosis`` is the sentence shown to people.

    >>> r = CheckResult(passed=True, code="ok", diagnosis="", max_abs_error=0.0,
    ...                 max_rel_error=0.0, tolerance=1e-6, worst_index=(0,),
    ...                 expected=1.0, received=1.0, expected_shape=(2,), received_shape=(2,))
    >>> r.passed
    True

    A result is true exactly when it passed, so ``assert check(f, df, x)`` fails on a wrong
    derivative:

    >>> from dataclasses import replace
    >>> bool(r), bool(replace(r, passed=False))
    (True, False)
    """

    passed: bool
    code: str
    diagnosis: str
    max_abs_error: float
    max_rel_error: float
    tolerance: float
    worst_index: tuple[int, ...] | None
    expected: float | None
    received: float | None
    expected_shape: tuple[int, ...]
    received_shape: tuple[int, ...] | None
    label: str = ""

    def __bool__(self) -> bool:
        return bool(self.passed)

    def __str__(self) -> str:
        what = f"{self.label}: " if self.label else ""
        if self.passed:
            return (f"{what}ok (max relative error {self.max_rel_error:.2e}, "
                    f"tolerance {self.tolerance:.1e})")
        text = f"{what}FAILED: {self.diagnosis}"
        if self.worst_index is not None and self.expected is not None:
            where = f"worst entry {list(self.worst_index)}: " if self.worst_index else ""
            text += (f"\n  {where}expected {self.expected:.10g}, "
                     f"got {self.received:.10g} (absolute error {self.max_abs_error:.3g}, "
                     f"relative error {self.max_rel_error:.3g}, tolerance {self.tolerance:.1e})")
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "code": self.code,
            "diagnosis": self.diagnosis,
            "max_abs_error": encode_float(self.max_abs_error),
            "max_rel_error": encode_float(self.max_rel_error),
            "tolerance": encode_float(self.tolerance),
            "worst_index": None if self.worst_index is None else list(self.worst_index),
            "expected": encode_float(self.expected),
            "received": encode_float(self.received),
            "expected_shape": list(self.expected_shape),
            "received_shape": None if self.received_shape is None else list(self.received_shape),
            "label": self.label,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        return cls(
            passed=bool(data["passed"]),
            code=data["code"],
            diagnosis=data["diagnosis"],
            max_abs_error=decode_float(data["max_abs_error"]),
            max_rel_error=decode_float(data["max_rel_error"]),
            tolerance=decode_float(data["tolerance"]),
            worst_index=_index(data.get("worst_index")),
            expected=decode_float(data.get("expected")),
            received=decode_float(data.get("received")),
            expected_shape=tuple(data["expected_shape"]),
            received_shape=_index(data.get("received_shape")),
            label=data.get("label", ""),
        )


@dataclass(frozen=True)
class PointResult:
    """One test point of an exercise: the inputs, the comparisons made there, the outcome.

    ``inputs`` maps input names to JSON data (floats or nested lists); ``checks`` holds one
    ``CheckResult`` per compared output (each ``wrt`` input, or forward value and each
    gradient of a node). ``status`` is one of pass / fail / error / timeout / not implemented.
    """

    status: str
    inputs: dict[str, Any]
    checks: tuple[CheckResult, ...] = ()
    message: str = ""
    duration: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == PASS

    @property
    def max_rel_error(self) -> float | None:
        return worst(c.max_rel_error for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "passed": self.passed,
            "inputs": self.inputs,
            "checks": [c.to_dict() for c in self.checks],
            "message": self.message,
            "duration": self.duration,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PointResult:
        return cls(
            status=data["status"],
            inputs=dict(data.get("inputs", {})),
            checks=tuple(CheckResult.from_dict(c) for c in data.get("checks", [])),
            message=data.get("message", ""),
            duration=float(data.get("duration", 0.0)),
        )


@dataclass(frozen=True)
class GraphNode:
    """One node of a computational graph a student wrote, as drawn for them: ``name``,
    ``label`` (the assignment, e.g. ``"t3 = t1 + t2"``), the nodes it reads (``inputs``),
    ``role`` ("input", "variable" or "output") and the submission ``line`` it comes from.

    >>> GraphNode("t1", "t1 = a + b", ("a", "b"), "variable", 3).to_dict()["inputs"]
    ['a', 'b']
    """

    name: str
    label: str
    inputs: tuple[str, ...] = ()
    role: str = "variable"
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "inputs": list(self.inputs),
                "role": self.role, "line": self.line}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GraphNode:
        return cls(name=str(data["name"]), label=str(data.get("label", data["name"])),
                   inputs=tuple(str(i) for i in data.get("inputs", ())),
                   role=str(data.get("role", "variable")), line=data.get("line"))


@dataclass(frozen=True)
class ExerciseResult:
    """One graded exercise.

    ``score`` = ``points`` x (test points passed / test points); ``message`` is the
    diagnosis of the worst failing point (or the reason nothing could be graded).
    ``filename``/``line_no`` locate the student's function when it was found. ``graph``:
    the computational graph of a graph exercise, drawn for the student (else empty).
    """

    id: str
    title: str
    kind: str
    student: str
    points: float
    score: float
    status: str
    message: str = ""
    checks: tuple[PointResult, ...] = ()
    duration: float = 0.0
    filename: str | None = None
    line_no: int | None = None
    output: str = ""
    graph: tuple[GraphNode, ...] = ()

    @property
    def passed(self) -> bool:
        return self.status == PASS

    @property
    def automatic(self) -> bool:
        return self.kind != MANUAL

    @property
    def points_passed(self) -> int:
        return sum(1 for p in self.checks if p.passed)

    @property
    def worst_error(self) -> float | None:
        return worst(p.max_rel_error for p in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "student": self.student,
            "points": self.points,
            "score": self.score,
            "status": self.status,
            "message": self.message,
            "worst_error": encode_float(self.worst_error),
            "checks": [p.to_dict() for p in self.checks],
            "duration": self.duration,
            "filename": self.filename,
            "line_no": self.line_no,
            "output": self.output,
            "graph": [n.to_dict() for n in self.graph],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExerciseResult:
        return cls(
            id=str(data["id"]),
            title=data.get("title", ""),
            kind=data["kind"],
            student=data.get("student", ""),
            points=float(data["points"]),
            score=float(data["score"]),
            status=data["status"],
            message=data.get("message", ""),
            checks=tuple(PointResult.from_dict(p) for p in data.get("checks", [])),
            duration=float(data.get("duration", 0.0)),
            filename=data.get("filename"),
            line_no=data.get("line_no"),
            output=data.get("output", ""),
            graph=tuple(GraphNode.from_dict(n) for n in data.get("graph", ())),
        )


@dataclass(frozen=True)
class SheetResult:
    """A graded sheet: every exercise, the total, and what is needed to reproduce it.

    ``score`` and ``max_score`` count automatic points only; ``manual_points`` are the
    points left for a teaching assistant. ``load_error`` is set when the submission did not
    load (every exercise then scores zero with that reason).
    """

    sheet: str
    title: str
    module: str
    submission: str
    score: float
    max_score: float
    manual_points: float
    seed: int
    spec_sha256: str
    gradcheck_version: str
    exercises: tuple[ExerciseResult, ...]
    warnings: tuple[str, ...] = ()
    load_error: str | None = None
    output: str = ""
    duration: float = 0.0

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score

    @property
    def automatic(self) -> tuple[ExerciseResult, ...]:
        return tuple(e for e in self.exercises if e.automatic)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "title": self.title,
            "module": self.module,
            "submission": self.submission,
            "score": self.score,
            "max_score": self.max_score,
            "manual_points": self.manual_points,
            "seed": self.seed,
            "spec_sha256": self.spec_sha256,
            "gradcheck_version": self.gradcheck_version,
            "warnings": list(self.warnings),
            "load_error": self.load_error,
            "output": self.output,
            "duration": self.duration,
            "exercises": [e.to_dict() for e in self.exercises],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SheetResult:
        return cls(
            sheet=data["sheet"],
            title=data.get("title", ""),
            module=data.get("module", ""),
            submission=data.get("submission", ""),
            score=float(data["score"]),
            max_score=float(data["max_score"]),
            manual_points=float(data.get("manual_points", 0.0)),
            seed=int(data["seed"]),
            spec_sha256=data.get("spec_sha256", ""),
            gradcheck_version=data.get("gradcheck_version", ""),
            exercises=tuple(ExerciseResult.from_dict(e) for e in data["exercises"]),
            warnings=tuple(data.get("warnings", ())),
            load_error=data.get("load_error"),
            output=data.get("output", ""),
            duration=float(data.get("duration", 0.0)),
        )
