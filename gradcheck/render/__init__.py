"""Renderers: a finished :class:`~gradcheck.results.SheetResult` in every output format.

Each renderer is a pure function of the result (it reads, never grades or re-checks):

==========================  ===============================================================
``sheet_table``, ``print_sheet``  rich table for the terminal (:mod:`gradcheck.render.table`)
``to_json``                 the full result as JSON (:mod:`gradcheck.render.json`)
``to_junit``                JUnit XML (:mod:`gradcheck.render.junit`)
``to_markdown``             job summary / feedback file (:mod:`gradcheck.render.markdown`)
``to_gradescope``           Gradescope ``results.json`` (:mod:`gradcheck.render.gradescope`)
``classroom_result``, ``encoded_result``, ``write_github``, ``protect_log``, ``protected_table``
                            GitHub Actions and Classroom (:mod:`gradcheck.render.github`)
``gradebook_rows``, ``write_gradebook``  gradebook CSV (:mod:`gradcheck.render.csv`)
==========================  ===============================================================

Names are imported on first use, so that importing one renderer does not load rich.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "sheet_table": "table",
    "print_sheet": "table",
    "to_json": "json",
    "to_junit": "junit",
    "to_markdown": "markdown",
    "to_gradescope": "gradescope",
    "classroom_result": "github",
    "encoded_result": "github",
    "write_github": "github",
    "protect_log": "github",
    "protected_table": "github",
    "require_github": "github",
    "annotation_lines": "github",
    "gradebook_rows": "csv",
    "gradebook_csv": "csv",
    "write_gradebook": "csv",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        module = importlib.import_module(f"gradcheck.render.{_WHERE[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'gradcheck.render' has no attribute {name!r}")
