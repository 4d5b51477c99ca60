"""How fast the sandbox is: start-up, a worker per submission, a round trip per call.

Run from the repository root: ``python benchmarks/sandbox_speed.py [--calls N] [--mode M]``.
Prints, for each mode this machine offers (or the one given):

- ``python -c "import numpy"``: the reference start-up cost
- zygote ready: ``Sandbox()`` until the zygote has imported numpy
- first worker loaded: ``Sandbox()`` until the first ``open()`` has loaded a submission
- fork to loaded: one more ``open()`` (fork, confine, load) on a warm zygote
- call / node round trip: one ``call()`` / ``node()`` on a loaded worker
- a sheet graded: Sandbox() + open + 30 calls + 8 node calls + close, against the budget of
  four times the numpy import
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradcheck.sandbox import Sandbox  # noqa: E402
from gradcheck.sandbox.confine import available_modes  # noqa: E402

SUBMISSION = '''\
import math
import numpy as np


def d_1a(x):
    return -3 * x**2 * math.sin(x**3) * math.log(x**4 / 11) + 4 * math.cos(x**3) / x


def jac_1h(x, A, b):
    return np.cos(A @ x + b)[:, None] * A


class Mul:
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad_output):
        return grad_output * self.b, grad_output * self.a
'''


def numpy_import_time(repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import numpy"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(mode: str, path: Path, calls: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    start = time.perf_counter()
    with Sandbox(mode=mode) as sandbox:
        figures["Sandbox() returns"] = time.perf_counter() - start
        assert sandbox.mode == mode
        figures["zygote ready"] = time.perf_counter() - start
        first = sandbox.open(path)
        figures["first worker loaded"] = time.perf_counter() - start
        assert first.load.ok, first.load
        first.close()
        opens = []
        for _ in range(20):
            begin = time.perf_counter()
            session = sandbox.open(path)
            opens.append(time.perf_counter() - begin)
            session.close()
        figures["fork to loaded (median)"] = statistics.median(opens)
        with sandbox.open(path) as session:
            x, A, b = np.array([0.3, -0.2]), np.arange(6.0).reshape(3, 2), np.ones(3)
            round_trips = []
            for _ in range(calls):
                begin = time.perf_counter()
                outcome = session.call("jac_1h", [x, A, b])
                round_trips.append(time.perf_counter() - begin)
                assert outcome.status == "ok", outcome
            figures["call round trip (median)"] = statistics.median(round_trips)
            node_trips = []
            for _ in range(calls // 4):
                begin = time.perf_counter()
                session.node("Mul", [x, x], x)
                node_trips.append(time.perf_counter() - begin)
            figures["node round trip (median)"] = statistics.median(node_trips)
    begin = time.perf_counter()
    with Sandbox(mode=mode) as sandbox, sandbox.open(path) as session:
        for i in range(30):
            session.call("d_1a", [np.array(0.5 + i / 30)])
        for _ in range(8):
            session.node("Mul", [np.ones(3), np.ones(3)], np.ones(3))
    figures["a sheet graded (30 calls, 8 nodes)"] = time.perf_counter() - begin
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--mode", choices=("bwrap", "landlock", "none"))
    options = parser.parse_args()
    reference = numpy_import_time()
    print(f"python -c 'import numpy': {reference * 1000:8.1f} ms "
          f"(budget for a sheet: {4 * reference * 1000:.0f} ms)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sheet01.py"
        path.write_text(SUBMISSION)
        for mode in [options.mode] if options.mode else available_modes():
            print(f"\nmode {mode}")
            for name, seconds in measure(mode, path, options.calls).items():
                note = ""
                if name.startswith("a sheet"):
                    note = f"  ({seconds / reference:.1f}x the numpy import)"
                print(f"  {name:38s} {seconds * 1000:8.2f} ms{note}")


if __name__ == "__main__":
    main()
