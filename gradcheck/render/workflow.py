"""The GitHub Classroom workflow for a template repository (``.github/workflows/classroom.yml``).

The workflow mirrors the one GitHub Classroom generates for its own graders - workflow
``Autograding Tests``, job ``run-autograding-tests`` (the check run the grading reporter
looks for), the bot's first commit skipped - with one grading step, ``id: gradcheck``,
running ``gradcheck grade <sheet> --github``, and the reporter reading that step's
``result`` output as ``GRADCHECK_RESULTS`` (``runners: gradcheck``). docs/classroom.md
walks through it step by step.

No package index serves gradcheck, so the install step installs a pinned gradcheck from a
source the instructor names (``package_spec``: ``gradcheck==0.1.0`` from an index once it is
published there, a git URL with a tag, a wheel's URL) or a wheel of the running gradcheck
copied into the template repository (``vendor``: ``.github/gradcheck/*.whl``).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from gradcheck.errors import UsageError

WORKFLOW_PATH = Path(".github") / "workflows" / "classroom.yml"
GRADE_STEP_ID = "gradcheck"       # also the reporter's runner id: it reads GRADCHECK_RESULTS
REPORTER = "classroom-resources/autograding-grading-reporter@v1"
VENDOR_DIR = Path(".github") / "gradcheck"   # where --vendor puts the wheel

_SHEET = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*")
_PYTHON = re.compile(r"[0-9][A-Za-z0-9.\-]*|pypy[0-9][A-Za-z0-9.\-]*")
_PACKAGE = re.compile(r"[A-Za-z0-9_.\-\[\],<>=!~+:/@#%&? ]+")
# A spec that names one version: name==version, a VCS URL ending in @<tag or commit>, or a
# file (wheel or sdist, local or by URL).
_PINNED = re.compile(r".*==\s*[0-9][^,;<>!~=*\s]*|.*\+[a-z]+://\S+@[^/@\s]+(#\S*)?"
                     r"|.*\.(whl|tar\.gz|zip)(#\S*)?", re.IGNORECASE)

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
        with:
          persist-credentials: false
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


def install_target(package_spec: str | None, wheel: str | None) -> str:
    """What the workflow's ``pip install`` gets: ``package_spec`` (it must pin a version)
    or the vendored ``wheel``'s path in the repository - exactly one of them.

    >>> install_target("gradcheck==0.1.0", None), install_target(None, "w.whl")
    ('gradcheck==0.1.0', 'w.whl')
    >>> install_target("gradcheck", None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    gradcheck.errors.UsageError: package spec 'gradcheck' does not pin a version...
    """
    if (package_spec is None) == (wheel is None):
        raise UsageError(
            "say how the workflow installs gradcheck, which no package index serves yet: "
            "--package-spec 'gradcheck @ git+https://github.com/<owner>/gradcheck@<tag>' "
            "(the exact version from a source you name; 'gradcheck==X' once it is on an "
            "index) or --vendor (a wheel of this gradcheck copied into the repository)")
    if wheel is not None:
        return wheel
    _check(package_spec, _PACKAGE, "package spec", "gradcheck==0.1.0")
    if not _PINNED.fullmatch(package_spec.strip()):
        raise UsageError(
            f"package spec {package_spec!r} does not pin a version: a new gradcheck in the "
            "middle of the term would change grades; use name==version, a git URL ending "
            "in @<tag>, or a wheel (or --vendor)")
    return package_spec


def workflow_yaml(sheet: str, *, python: str = "3.11", package_spec: str | None = None,
                  wheel: str | None = None) -> str:
    """The text of ``.github/workflows/classroom.yml`` that grades ``sheet`` on every push.

    The install step installs ``package_spec`` or the vendored ``wheel`` (a path in the
    repository): :func:`install_target`. Values that could break out of the YAML or the
    shell command raise :class:`UsageError`.

    >>> import yaml
    >>> text = workflow_yaml("sheet01", package_spec="gradcheck==0.1.0")
    >>> steps = yaml.safe_load(text)["jobs"]["run-autograding-tests"]["steps"]
    >>> [s.get("id") for s in steps if "id" in s], steps[-1]["with"], steps[2]["run"]
    (['gradcheck'], {'runners': 'gradcheck'}, 'python -m pip install gradcheck==0.1.0\\n')
    """
    _check(sheet, _SHEET, "sheet", "sheet01")
    _check(python, _PYTHON, "python version", "3.11")
    target = install_target(package_spec, wheel)
    return _TEMPLATE.format(sheet=sheet, python=python, package=shlex.quote(target),
                            step_id=GRADE_STEP_ID, reporter=REPORTER,
                            env_name=f"{GRADE_STEP_ID.upper()}_RESULTS")


def write_classroom(root: str | Path, sheet: str, *, python: str = "3.11",
                    package_spec: str | None = None, vendor: bool = False,
                    force: bool = False) -> list[Path]:
    """Write the Classroom workflow into the template repository at ``root``; with
    ``vendor``, also a wheel of the running gradcheck into ``.github/gradcheck/``, which the
    workflow installs.

    Returns the files written. An existing workflow is kept (raising
    :class:`WorkflowExistsError`, both a ``UsageError`` and a ``FileExistsError``) unless
    ``force=True``.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as root:
    ...     [p.relative_to(root).as_posix() for p in write_classroom(
    ...         root, "sheet01", package_spec="gradcheck==0.1.0")]
    ['.github/workflows/classroom.yml']
    """
    from gradcheck.render.wheel import wheel_name

    wheel = (VENDOR_DIR / wheel_name()).as_posix() if vendor else None
    text = workflow_yaml(sheet, python=python, package_spec=None if vendor else package_spec,
                         wheel=wheel)
    if vendor and package_spec is not None:
        raise UsageError("--vendor and --package-spec exclude each other")
    path = Path(root) / WORKFLOW_PATH
    if path.exists() and not force:
        raise WorkflowExistsError(f"{path} already exists; remove it or overwrite it with "
                                  "--force")
    written = []
    if vendor:
        from gradcheck.render.wheel import build_wheel

        folder = Path(root) / VENDOR_DIR
        for old in folder.glob("gradcheck-*.whl") if folder.is_dir() else ():
            old.unlink()                      # one wheel: the one the workflow installs
        written.append(build_wheel(folder))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return [path, *written]
