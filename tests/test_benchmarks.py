"""Every benchmark script still runs, at its smallest size (no timing is asserted: figures are
for people to read, on a quiet machine). A benchmark that broke once went unnoticed because no
test ran it."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SMALLEST = {   # script -> the arguments that make it quick
    "accuracy.py": [],
    "batch_speed.py": ["--count", "4", "--jobs", "1", "--timeout", "0.5"],
    "conv_validate.py": ["--runs", "1"],
    "directional.py": ["--size", "1000", "--probes", "2"],
    "grade_speed.py": ["--runs", "1"],
    "notebook_check.py": ["--runs", "1"],
    "sandbox_speed.py": ["--calls", "10"],
    "validate_layers.py": ["--runs", "1"],
}


def test_every_benchmark_is_run_here():
    assert sorted(p.name for p in (ROOT / "benchmarks").glob("*.py")
                  if not p.name.startswith("_")) == sorted(SMALLEST)


@pytest.mark.parametrize("script", sorted(SMALLEST))
def test_a_benchmark_runs_to_its_figures(script):
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *SMALLEST[script]],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert run.stdout.strip(), run.stderr[-2000:]
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
