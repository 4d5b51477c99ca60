"""The order in which ``gradcheck grade`` starts its work: the submission opens in the
sandbox (its worker forks and loads it) while the grading modules still import."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import sys
import gradcheck.sandbox as sandbox
opened = sandbox.Sandbox.open
def open_(self, *args, **kwargs):
    print("grader imported:", "gradcheck.grading.grader" in sys.modules, file=sys.stderr)
    return opened(self, *args, **kwargs)
sandbox.Sandbox.open = open_
from gradcheck.cli import main
main()
"""


def test_the_submission_opens_before_the_grading_modules_import():
    run = subprocess.run([sys.executable, "-c", PROBE, "grade", "sheet01", "--submission",
                          str(ROOT / "solutions" / "sheet01.py"), "--format", "json"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT,
                         env={**os.environ, "GRADCHECK_CACHE": "off"})
    assert run.returncode == 0, run.stderr
    assert "grader imported: False" in run.stderr, run.stderr
    assert json.loads(run.stdout)["score"] == json.loads(run.stdout)["max_score"]
