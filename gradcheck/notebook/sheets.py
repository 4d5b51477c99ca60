"""Which sheet a notebook belongs to, when ``gc.use`` was not called: from the notebook's
file name (when the front end tells it) and the spec files beside it, else the bundled sheets.

>>> guess_sheet(notebook_name({"__vsc_ipynb_file__": "/w/sheet01.ipynb"}), Path("/w")).name
'sheet01'
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from gradcheck.errors import GradcheckError, SpecError
from gradcheck.grading import grader
from gradcheck.spec import Sheet, bundled_sheets, load_sheet


def notebook_name(namespace: Mapping) -> str | None:
    """The running notebook's file name, when the front end tells (VS Code, Jupyter).

    >>> notebook_name({"__session__": "/home/me/DL-Sheet01.ipynb"})
    'DL-Sheet01.ipynb'
    """
    for value in (namespace.get("__vsc_ipynb_file__"), namespace.get("__session__"),
                  os.environ.get("JPY_SESSION_NAME")):
        if isinstance(value, str) and value.endswith(".ipynb"):
            return Path(value).name
    return None


def _simple(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def guess_sheet(notebook: str | None, folder: Path) -> Sheet:
    """The sheet a notebook belongs to, when that is unambiguous: the spec files in
    ``folder``, else the bundled sheets, whose module (or name) is the notebook's name
    (``sheet01.ipynb``) or ends it (``DL-Sheet01.ipynb``). Without a notebook name, the one
    sheet whose ``<module>.ipynb`` or ``<module>.py`` is in ``folder``.

    >>> guess_sheet("DL-Sheet01.ipynb", Path("/nonexistent")).name
    'sheet01'
    """
    local = []
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        try:
            local.append(load_sheet(str(path)))
        except (GradcheckError, OSError):
            continue
    bundled = [load_sheet(name) for name in bundled_sheets()]
    if notebook is not None:
        stem = _simple(Path(notebook).stem)
        tests = (lambda s: stem in (_simple(s.module), _simple(s.name)),
                 lambda s: bool(_simple(s.module)) and stem.endswith(_simple(s.module)))
    else:
        tests = (lambda s: any((folder / f"{s.module}{suffix}").is_file()
                               for suffix in grader.SUBMISSION_SUFFIXES),)
    for candidates in (local, bundled):
        for test in tests:
            found = {s.path or s.name: s for s in candidates if test(s)}
            if len(found) == 1:
                return next(iter(found.values()))
            if len(found) > 1:
                raise SpecError(_which(notebook, sorted(s.name for s in found.values())))
    raise SpecError(_which(notebook, bundled_sheets()))


def _which(notebook: str | None, names: list[str]) -> str:
    about = f"which sheet {notebook} belongs to" if notebook else "which sheet this is"
    return (f"cannot tell {about}: call gc.use(\"{names[0] if names else 'sheet01'}\") or "
            f"gc.use(\"path/to/spec.yaml\") first (sheets: {', '.join(names)})")
