"""What a student can read of other processes: nothing secret on any process's argv (a
batch's seed travels over the private channel), and where the machine allows it (root,
outside bwrap: the zygote's /proc is mounted with hidepid) no other process at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from gradcheck.batch.journal import journal_path
from gradcheck.cli import main
from gradcheck.sandbox import Sandbox
from gradcheck.sandbox.confine import available_modes

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "hostile_sheet01"
MODES = [m for m in available_modes() if m != "bwrap"]


@pytest.mark.parametrize("mode", MODES)
def test_other_processes_are_hidden_where_the_kernel_allows(tmp_path, mode):
    secret = f"--password=hunter2-{uuid.uuid4().hex}"
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", secret])
    try:
        path = tmp_path / "reader.py"
        path.write_text((HOSTILE / "proc_reader.py").read_text())
        with Sandbox(mode=mode) as sandbox, sandbox.open(path) as session:
            outcome = session.call("d_1c", [np.array(1.0)])
            hidden = session.protections["proc_hidden"]
    finally:
        other.kill()
        other.wait()
    assert outcome.status == "ok", outcome
    if os.geteuid() != 0:
        pytest.skip("without root /proc cannot be remounted; see docs/sandbox.md")
    assert hidden
    assert secret not in outcome.output
    if mode == "landlock":   # Landlock: only the worker's own processes
        assert "visible: 0" in outcome.output, outcome.output
    else:   # none: what has no more capabilities than the worker: only other workers
        shown = outcome.output.splitlines()[1:]
        shown = [line for line in shown if line.split(": ", 1)[-1].strip()]  # not exiting
        assert all("worker.py --zygote" in line for line in shown), shown


def test_a_batch_seed_is_on_no_command_line(tmp_path):
    """The grading processes get the seed over their socket; the student's output, which
    lists every command line it can read, never holds it."""
    solution = (ROOT / "solutions" / "sheet01.py").read_text()
    folder = tmp_path / "submissions" / "eve"
    folder.mkdir(parents=True)
    (folder / "sheet01.py").write_text(solution + "\n\n" + (HOSTILE / "proc_reader.py")
                                       .read_text())
    out = tmp_path / "out"
    started = time.monotonic()
    result = CliRunner().invoke(main, ["batch", "sheet01", str(tmp_path / "submissions"),
                                       "-o", str(out / "grades.csv"), "--jobs", "1",
                                       "--timeout", "2"])
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 120
    (line,) = journal_path(out / "grades.csv").read_text().splitlines()
    entry = json.loads(line)
    seed = str(entry["seed"])
    printed = "\n".join(e.get("output") or "" for e in entry["result"]["exercises"])
    assert "visible:" in printed
    assert "--seed" not in printed and f" {seed} " not in printed, printed
