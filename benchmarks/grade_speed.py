"""Wall time and CPU of `gradcheck grade sheet01` on the reference solution, beside the floor
of `python -c "import numpy"`. Target: at most 3x that floor (we aim at 1.5x).

Three cases: warm (test points cached from an earlier run: a student's rerun), cold (no point
cache: the first run, and every CI run), and the floor. The cases take turns, run after run
(--runs rounds), and the median of each is reported: the machine is shared, and its load
drifts. CPU is what the command and every process it waited for used (user + system: the
sandbox's zygote and worker included), so it is the fairer figure on a busy machine. Python
may cache bytecode, as it does after any pip install: a PYTHONDONTWRITEBYTECODE in the
environment would otherwise recompile every gradcheck module on every run (numpy's bytecode
is cached either way), and a first untimed run of each case writes the caches.

    python benchmarks/grade_speed.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRADE = [sys.executable, "-m", "gradcheck", "grade", "sheet01", "--submission",
         str(ROOT / "solutions" / "sheet01.py"), "--format", "json"]
FLOOR = [sys.executable, "-c", "import numpy"]


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and the processes it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0,):
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as cache:
        cases = {
            'python -c "import numpy"': (FLOOR, base),
            "gradcheck grade sheet01 (warm)": (GRADE, dict(base, GRADCHECK_CACHE=cache)),
            "gradcheck grade sheet01 (cold)": (GRADE, dict(base, GRADCHECK_CACHE="off")),
        }
        for command, env in cases.values():
            timed(command, env)   # writes bytecode and the point cache
        load = os.getloadavg()[0]
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for _ in range(runs):
            for name, (command, env) in cases.items():
                times[name].append(timed(command, env))
    floor = [statistics.median(t[i] for t in times['python -c "import numpy"']) for i in (0, 1)]
    print(f"{'command':32} {'wall':>7} {'min':>7} {'max':>7} {'x floor':>8}  {'CPU':>7} "
          f"{'x floor':>8}")
    for name, found in times.items():
        wall = [t[0] for t in found]
        cpu = statistics.median(t[1] for t in found)
        print(f"{name:32} {statistics.median(wall):7.3f} {min(wall):7.3f} {max(wall):7.3f} "
              f"{statistics.median(wall) / floor[0]:8.2f}  {cpu:7.3f} {cpu / floor[1]:8.2f}")
    print(f"\n{runs} rounds, cases in turn; medians in seconds; load average "
          f"{load:.2f} -> {os.getloadavg()[0]:.2f}; target: grade at most 3x the floor")


if __name__ == "__main__":
    main()
