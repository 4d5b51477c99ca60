"""validate is bounded in time for any spec that loads: mutants not decided within the budget
are named in a warning, never counted as missed."""

from __future__ import annotations

import time
from pathlib import Path

from gradcheck.grading import validate as validate_module
from gradcheck.grading.validate import MISSED, WARNING, validate
from gradcheck.spec import parse_sheet

SPEC = """\
sheet: big
title: t
exercises:
  - id: a
    title: t
    points: 1
    student: f
    function: "sum(sin(x))"
    inputs:
      x: {shape: [64, 64], domain: [-1, 1]}
    wrt: x
    points_at: [{random: 3}]
"""


class _SlowClock:
    """validate's clock, as if every reading took 0.05 s: the mutants of this spec now take
    well under a second, so the budget is tested on a clock that makes them slow."""

    def __init__(self):
        self.now = time.monotonic()

    def monotonic(self):
        self.now += 0.05
        return self.now


def test_a_spec_too_large_to_probe_fully_is_validated_within_the_budget(tmp_path,
                                                                       monkeypatch):
    solution = tmp_path / "big.py"
    solution.write_text("import numpy as np\n\ndef f(x):\n    return np.cos(x)\n")
    sheet = parse_sheet(SPEC, file=str(tmp_path / "big.yaml"))
    started = time.monotonic()
    monkeypatch.setattr(validate_module, "time", _SlowClock())
    report = validate(sheet, solution=Path(solution), budget=0.5)
    assert time.monotonic() - started < 60          # a hang guard
    (exercise,) = report.exercises
    assert exercise.score == 1
    assert not any(m.verdict == MISSED for m in exercise.mutants)
    skipped = [f for f in exercise.findings if "time budget" in f.message]
    assert len(skipped) == 1 and skipped[0].severity == WARNING
    assert "0.5 s" in skipped[0].message and "4096 entries" in skipped[0].message
    tried = {m.name for m in exercise.mutants}
    assert tried and not any(name in skipped[0].message.split(":")[-2] for name in tried)
