"""Wall time of `gradcheck validate layers` (the whole command, start-up included, and the
report's own duration) and of validating each exercise of the sheet on its own.

    python benchmarks/validate_layers.py [--runs 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import subprocess
import sys
import time

from gradcheck.grading.validate import find_solution, validate
from gradcheck.sandbox import Sandbox
from gradcheck.spec import load_sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    walls, reported = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "gradcheck", "validate", "layers",
                               "--format", "json"], capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - started)
        report = json.loads(done.stdout)
        assert report["passed"], done.stdout[-2000:]
        reported.append(report["duration"])
    print(f"gradcheck validate layers: {statistics.median(walls):.2f} s wall "
          f"(report: {statistics.median(reported):.2f} s), median of {args.runs}")
    sheet = load_sheet("layers")
    solution = find_solution(sheet)
    with Sandbox() as sandbox:
        for exercise in sheet.automatic:
            one = dataclasses.replace(sheet, exercises=(exercise,))
            started = time.perf_counter()
            result = validate(one, solution=solution, sandbox=sandbox)
            mutants = len(result.exercises[0].mutants)
            print(f"  {exercise.id:24s} {time.perf_counter() - started:6.2f} s  "
                  f"{mutants:3d} mutants")


if __name__ == "__main__":
    main()
