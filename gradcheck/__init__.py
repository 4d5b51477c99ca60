"""gradcheck: check derivatives of plain numpy code, and grade derivative exercises.

>>> import numpy as np
>>> from gradcheck import check
>>> check(np.sin, np.cos, 0.5).passed
True
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "check", "check_vjp", "CheckResult"]


def load_ipython_extension(ipython) -> None:
    """``%load_ext gradcheck`` in IPython or Jupyter: the ``%gradcheck`` line magic of
    ``gradcheck.notebook``, which IPython loads by name (nothing here imports it)."""
    ipython.extension_manager.load_extension("gradcheck.notebook")


def __getattr__(name: str):
    # Imported lazily so that `gradcheck --help` and the worker start fast.
    if name in ("check", "check_vjp"):
        # importlib, not `from gradcheck import check`: that would call this hook again.
        # Importing the submodule sets the attribute `check` to the module; put the
        # functions in its place (the module is callable too, for other import orders).
        import importlib

        module = importlib.import_module("gradcheck.check")
        globals().update(check=module.check, check_vjp=module.check_vjp)
        return globals()[name]
    if name == "CheckResult":
        from gradcheck.results import CheckResult

        return CheckResult
    raise AttributeError(f"module 'gradcheck' has no attribute {name!r}")
