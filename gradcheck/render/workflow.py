"""The GitHub Classroom workflow for a template repository (``.github/workflows/classroom.yml``).

The workflow mirrors the one GitHub Classroom generates for its own graders - workflow
``Autograding Tests``, job ``run-autograding-tests`` (the check run the grading reporter
looks for), the bot's first commit skipped - with one grading step, ``id: gradcheck``,
running ``gradcheck grade <sheet> --github``, and the reporter reading that step's
``result`` output as ``GRADCHECK_RESULTS`` (``runners: gradcheck``). docs/classroom.md
walks through it step by step.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from gradcheck.errors import UsageError

WORKFLOW_PATH = Path(".github") / "workflows" / "classroom.yml"
GRADE_STEP_ID = "gradcheck"       # also the reporter's runner id: it reads GRADCHECK_RESULTS
REPORTER = "classroom-resources/autograding-grading-reporter@v1"

_SHEET = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*")
_PYTHON = re.compile(r"[0-9][A-Za-z0-9.\-]*|pypy[0-9][A-Za-z0-9.\-]*")
_PACKAGE = re.compile(r"[A-Za-z0-9_.\-\[\],<>=!~+:/@#%&?]+")

_TEMPLATE = """\
# GitHub Classroom autograding with gradcheck: grades {sheet} on every push and reports
# the points to Classroom. Students can edit this file in their own repository, so
# re-grade with `gradcheck batch` before grades count (see gradcheck's docs/classroom.md).
name: Autograding Tests
"on":
  - push
  - workflow_dispatch
  - repository_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    timeout-minutes: 15
    steps:
      - name: Check out the submission
        uses: actions/checkout@v4
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "{python}"
      - name: Install gradcheck
        run: |
          python -m pip install {package}
      - name: Grade {sheet}
        id: {step_id}
        run: gradcheck grade {sheet} --github
      - name: Report points to GitHub Classroom
        if: ${{{{ !cancelled() }}}}
        uses: {reporter}
        env:
          {env_name}: "${{{{ steps.{step_id}.outputs.result }}}}"
        with:
          runners: {step_id}
"""


class WorkflowExistsError(UsageError, FileExistsError):
    """The workflow file is already there and overwriting was not asked for."""


def _check(value: str, pattern: re.Pattern[str], what: str, example: str) -> str:
    if not pattern.fullmatch(value):
        raise UsageError(f"{what} {value!r} cannot go into the workflow; expected something "
                         f"like {example!r} (letters, digits and {pattern.pattern!r})")
    return value


def workflow_yaml(sheet: str, *, python: str = "3.11", package_spec: str = "gradcheck") -> str:
    """The text of ``.github/workflows/classroom.yml`` that grades ``sheet`` on every push.

    ``package_spec`` is what pip installs (pin a version: ``"gradcheck==0.1.0"``).
    Values that could break out of the YAML or the shell command raise :class:`UsageError`.

    >>> import yaml
    >>> steps = yaml.safe_load(workflow_yaml("sheet01"))["jobs"]["run-autograding-tests"]["steps"]
    >>> [s.get("id") for s in steps if "id" in s], steps[-1]["with"]
    (['gradcheck'], {'runners': 'gradcheck'})
    """
    _check(sheet, _SHEET, "sheet", "sheet01")
    _check(python, _PYTHON, "python version", "3.11")
    _check(package_spec, _PACKAGE, "package spec", "gradcheck==0.1.0")
    return _TEMPLATE.format(sheet=sheet, python=python, package=shlex.quote(package_spec),
                            step_id=GRADE_STEP_ID, reporter=REPORTER,
                            env_name=f"{GRADE_STEP_ID.upper()}_RESULTS")


def write_classroom(root: str | Path, sheet: str, *, python: str = "3.11",
                    package_spec: str = "gradcheck", force: bool = False) -> list[Path]:
    """Write the Classroom workflow into the template repository at ``root``.

    Returns the files written. An existing workflow is kept (raising
    :class:`WorkflowExistsError`, both a ``UsageError`` and a ``FileExistsError``) unless
    ``force=True``.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as root:
    ...     [p.relative_to(root).as_posix() for p in write_classroom(root, "sheet01")]
    ['.github/workflows/classroom.yml']
    """
    text = workflow_yaml(sheet, python=python, package_spec=package_spec)
    path = Path(root) / WORKFLOW_PATH
    if path.exists() and not force:
        raise WorkflowExistsError(f"{path} already exists; remove it or overwrite it with "
                                  "--force")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return [path]
