"""Wall time of `gradcheck grade sheet01` on the reference solution, beside the floor of
`python -c "import numpy"`. Target: at most 4x that floor.

Three cases: warm (test points cached from an earlier run: a student's rerun), cold (no point
cache: the first run, and every CI run), and the floor. Each is run --runs times and the
median is reported (the machine is shared, so single runs are noisy). Python may cache
bytecode, as it does after any pip install: a PYTHONDONTWRITEBYTECODE in the environment would
otherwise recompile every gradcheck module on every run (numpy's bytecode is cached either
way), and a first untimed run of each case writes the caches.

    python benchmarks/grade_speed.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
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


def timed(command: list[str], env: dict[str, str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0,):
            raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as cache:
        envs = {"floor": base, "warm": dict(base, GRADCHECK_CACHE=cache),
                "cold": dict(base, GRADCHECK_CACHE="off")}
        for name, env in envs.items():
            timed(FLOOR if name == "floor" else GRADE, env, 1)  # writes bytecode and points
        cases = {
            'python -c "import numpy"': timed(FLOOR, envs["floor"], runs),
            "gradcheck grade sheet01 (warm)": timed(GRADE, envs["warm"], runs),
            "gradcheck grade sheet01 (cold)": timed(GRADE, envs["cold"], runs),
        }
    floor = statistics.median(cases['python -c "import numpy"'])
    print(f"{'command':34} {'median':>8} {'min':>8} {'max':>8} {'x floor':>8}")
    for name, times in cases.items():
        median = statistics.median(times)
        print(f"{name:34} {median:8.3f} {min(times):8.3f} {max(times):8.3f} "
              f"{median / floor:8.2f}")
    print(f"\n{runs} runs each; times in seconds; target: grade at most 4x the floor")


if __name__ == "__main__":
    main()
