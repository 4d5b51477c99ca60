"""Time of a check inside a notebook kernel: ``gc.check("1a")`` and ``gc.check_all()`` on the
reference solution of sheet01, run in this process as a kernel runs them (the functions in
the caller's namespace), and ``import gradcheck.notebook`` in a fresh interpreter.

The first check draws the test points (or reads them from the point cache) and keeps them for
the session; the figures after it are what a student waits for at every later check. Each
case is repeated --runs times and the median is reported.

    python benchmarks/notebook_check.py [--runs 11]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_ms(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11)
    runs = parser.parse_args().runs
    os.environ["GRADCHECK_CACHE"] = tempfile.mkdtemp()   # a cold first check
    start = time.perf_counter()
    imported = subprocess.run([sys.executable, "-c", "import gradcheck.notebook"], cwd=ROOT)
    fresh_import = 1000 * (time.perf_counter() - start)
    assert imported.returncode == 0
    from gradcheck import notebook as gc

    code = (ROOT / "solutions" / "sheet01.py").read_text()
    # A kernel's input history: graph exercises (2a-2c) are read from the cells it ran.
    namespace: dict = {"__name__": "__main__", "In": ["", code]}
    exec(compile(code, "sheet01.py", "exec"), namespace)
    gc.use("sheet01")
    with contextlib.redirect_stdout(io.StringIO()):
        start = time.perf_counter()
        first = gc.check("1a", namespace=namespace)
        cold = 1000 * (time.perf_counter() - start)
        one = median_ms(lambda: gc.check("1a", namespace=namespace), runs)
        nodes = median_ms(lambda: gc.check("3a", namespace=namespace), runs)
        whole = median_ms(lambda: gc.check_all(namespace=namespace), runs)
        report = gc.check_all(namespace=namespace)
    assert first.exercises[0].passed and report.result.score == report.result.max_score
    print(f"python -c 'import gradcheck.notebook' (fresh interpreter): {fresh_import:7.1f} ms")
    print(f"first gc.check('1a') (draws the sheet's test points):      {cold:7.1f} ms")
    print(f"gc.check('1a'), median of {runs}:                            {one:7.1f} ms")
    print(f"gc.check('3a') (8 node exercises), median of {runs}:         {nodes:7.1f} ms")
    print(f"gc.check_all() (every automatic exercise), median of {runs}:   {whole:7.1f} ms")


if __name__ == "__main__":
    main()
