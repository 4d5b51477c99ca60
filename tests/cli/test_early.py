"""``cli.early``: what ``gradcheck grade`` sets up before the command line is read."""

import subprocess
import sys

from gradcheck.cli import early

PROBE = """
import gc, sys
from gradcheck.cli import early
before = gc.get_threshold()
early.start(sys.argv[1:])
print(before[0], gc.get_threshold()[0], early._started is not None)
"""


def _probe(*argv: str) -> list[str]:
    run = subprocess.run([sys.executable, "-c", PROBE, "gradcheck", *argv], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stdout.split()


def test_a_grade_collects_garbage_rarely_and_starts_its_sandbox():
    default, now, started = _probe("grade", "sheet01")
    assert int(now) == early.GC_THRESHOLD > int(default)
    assert started == "True"


def test_other_commands_and_help_keep_the_collector_as_it_was():
    for argv in (["grade", "--help"], ["validate", "sheet01"], []):
        default, now, started = _probe(*argv)
        assert now == default and started == "False", argv
