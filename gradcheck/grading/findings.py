"""What ``validate`` found, as frozen results: a :class:`Finding` (an error or a warning),
a :class:`MutantResult` (how the test points judged one generated wrong answer), an
:class:`ExerciseValidation` per automatic exercise and the :class:`ValidationReport` of a
sheet. Each has ``to_dict()``: plain JSON data, what ``gradcheck validate --format json``
prints.

>>> finding = Finding(ERROR, "1a", "points", "no usable random test point")
>>> str(finding), finding.to_dict()["exercise"]
('error: exercise 1a: no usable random test point', '1a')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ERROR, WARNING = "error", "warning"
CAUGHT, EQUIVALENT, MISSED = "caught", "equivalent", "missed"


@dataclass(frozen=True)
class Finding:
    """One problem: ``severity`` error or warning; ``exercise`` None for the whole sheet;
    ``check`` is "points", "solution" or "mutants"."""

    severity: str
    exercise: str | None
    check: str
    message: str

    def __str__(self) -> str:
        where = f"exercise {self.exercise}: " if self.exercise is not None else ""
        return f"{self.severity}: {where}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class MutantResult:
    """How the test points judged one mutant of one exercise."""

    name: str
    caught: int          # test points where the mutant loses points
    points: int          # test points where the mutant applies
    differs: bool        # differs from the truth at a test point or a probe point

    @property
    def verdict(self) -> str:
        if self.caught:
            return CAUGHT
        return MISSED if self.differs else EQUIVALENT

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "verdict": self.verdict}


@dataclass(frozen=True)
class ExerciseValidation:
    """Everything validation found out about one automatic exercise."""

    id: str
    title: str
    kind: str
    points: float
    test_points: int
    draws: int                                   # random draws made, used and redrawn
    rejected: Mapping[str, int] = field(default_factory=dict)   # redraws by reason
    score: float | None = None                   # the reference solution's score
    mutants: tuple[MutantResult, ...] = ()
    findings: tuple[Finding, ...] = ()

    @property
    def passed(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.update(rejected=dict(self.rejected), passed=self.passed,
                    mutants=[m.to_dict() for m in self.mutants],
                    findings=[f.to_dict() for f in self.findings])
        return data


@dataclass(frozen=True)
class ValidationReport:
    """The self-test of one sheet: exit code 0 exactly when ``passed``."""

    sheet: str
    title: str
    spec: str
    solution: str | None
    seed: int
    exercises: tuple[ExerciseValidation, ...]
    findings: tuple[Finding, ...] = ()           # about the whole sheet
    duration: float = 0.0

    @property
    def all_findings(self) -> tuple[Finding, ...]:
        return self.findings + tuple(f for e in self.exercises for f in e.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.all_findings if f.severity == ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.all_findings if f.severity == WARNING)

    @property
    def passed(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "title": self.title, "spec": self.spec,
                "solution": self.solution, "seed": self.seed, "passed": self.passed,
                "errors": len(self.errors), "warnings": len(self.warnings),
                "findings": [f.to_dict() for f in self.findings],
                "exercises": [e.to_dict() for e in self.exercises],
                "duration": self.duration}
