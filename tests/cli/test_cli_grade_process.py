"""``gradcheck grade`` as its own process: the submission opens in the sandbox (its worker
forks and loads it) while the grading modules still import, a report imports only its own
renderer, and the process ends without tearing the interpreter down, its output complete."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "sheet01.py"
PROBE = """
import atexit, os, sys
import gradcheck.sandbox as sandbox
opened = sandbox.Sandbox.open
def open_(self, *args, **kwargs):
    print("grader imported:", "gradcheck.grading.grader" in sys.modules, file=sys.stderr)
    print("switch interval:", sys.getswitchinterval(), file=sys.stderr)
    return opened(self, *args, **kwargs)
sandbox.Sandbox.open = open_
atexit.register(lambda: print("torn down", file=sys.stderr))
exit_now = os._exit
def _exit(code):
    print("renderers:", sorted(m for m in sys.modules if m.startswith("gradcheck.render.")),
          file=sys.stderr, flush=True)
    exit_now(code)
os._exit = _exit
from gradcheck.cli import main
main()
"""


def _grade(submission: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, "grade", "sheet01", "--submission",
                           str(submission), *options], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env={**os.environ, "GRADCHECK_CACHE": "off"})


def test_the_submission_opens_before_the_grading_modules_import():
    run = _grade(SOLUTION, "--format", "json")
    assert run.returncode == 0, run.stderr
    assert "grader imported: False" in run.stderr, run.stderr


def test_the_thread_that_opens_the_submission_waits_briefly_for_the_gil():
    from gradcheck.cli.common import SWITCH_INTERVAL

    run = _grade(SOLUTION, "--format", "json")
    line = next(x for x in run.stderr.splitlines() if x.startswith("switch interval:"))
    assert abs(float(line.split(":")[1]) - SWITCH_INTERVAL) < 1e-9 and SWITCH_INTERVAL <= 1e-4


def test_a_json_report_imports_the_json_renderer_alone():
    run = _grade(SOLUTION, "--format", "json")
    assert "renderers: ['gradcheck.render.json']" in run.stderr, run.stderr


def test_the_process_ends_without_teardown_and_its_report_is_whole(tmp_path):
    run = _grade(SOLUTION, "--format", "json")
    report = json.loads(run.stdout)   # the whole report reached the pipe
    assert run.returncode == 0 and report["score"] == report["max_score"], run.stderr
    assert "torn down" not in run.stderr
    wrong = tmp_path / "sheet01.py"
    wrong.write_text(SOLUTION.read_text() + "\n\ndef d_1a(x):\n    return 0.0\n")
    run = _grade(wrong, "--format", "json")
    report = json.loads(run.stdout)
    assert run.returncode == 1 and report["score"] < report["max_score"], run.stderr
    assert "torn down" not in run.stderr


def test_a_usage_error_still_exits_the_usual_way():
    run = _grade(ROOT / "no-such-file.py", "--format", "json")
    assert run.returncode == 2 and "does not exist" in run.stderr, run.stderr
    assert "torn down" in run.stderr


def test_the_sandbox_is_closed_before_the_process_ends(tmp_path):
    # its scratch folders are made in TMPDIR; the report is written while it closes
    env = {**os.environ, "GRADCHECK_CACHE": "off", "TMPDIR": str(tmp_path)}
    for submission, code in ((SOLUTION, 0), (ROOT / "no-such-file.py", 2)):
        run = subprocess.run([sys.executable, "-m", "gradcheck", "grade", "sheet01",
                              "--submission", str(submission), "--format", "json"],
                             capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
        assert run.returncode == code, run.stderr
        assert not list(tmp_path.glob("gradcheck-sandbox-*")), run.stderr
