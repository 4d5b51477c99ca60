"""A function of a submission loaded in a sandbox session, callable as if it were here.

``gradcheck check work.ipynb:f work.ipynb:df`` checks functions from a notebook: the notebook
is loaded in a worker (read as ``grade`` reads one: IPython syntax dropped or run), and
:func:`gradcheck.check.check` calls a :class:`RemoteFunction` for every evaluation. Each call
is one request to the worker, bounded by its timeout; the value comes back as a float64 array
(0-d for a number). What goes wrong there is a
:class:`~gradcheck.errors.StudentCodeError` carrying the worker's message and status.

>>> import tempfile
>>> from pathlib import Path
>>> import numpy as np
>>> from gradcheck.sandbox import Sandbox
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "mine.py").write_text("def f(x, scale=2):\\n    return scale * x\\n")
>>> with Sandbox() as sandbox, sandbox.open(folder / "mine.py") as session:
...     f = RemoteFunction(session, "f")
...     print(f(np.array(1.5)), f.__signature__)
3.0 (x, scale=...)
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gradcheck.errors import StudentCodeError, UsageError
from gradcheck.sandbox.session import Session

if TYPE_CHECKING:
    import numpy as np


class RemoteFunction:
    """``name`` of the submission loaded in ``session``, called there with ``timeout``
    seconds per call (default: the session's ``Limits.call_timeout``).

    Its ``__name__`` is ``name`` and its ``__signature__`` the function's parameters as the
    worker described them (a parameter with a default keeps a placeholder default), so code
    that inspects a function sees the student's. Arguments must be numbers or numeric
    arrays (:class:`~gradcheck.errors.UsageError` otherwise)."""

    def __init__(self, session: Session, name: str, timeout: float | None = None):
        found = session.load.defs.get(name)
        if found is None or found.get("kind") != "function":
            raise UsageError(f"{session.path.name} defines no function {name!r}")
        self.session = session
        self.timeout = timeout
        self.__name__ = name
        signature = _signature(found.get("params"))
        if signature is not None:
            self.__signature__ = signature

    def __call__(self, *args: Any) -> np.ndarray:
        outcome = self.session.call(self.__name__, list(args), timeout=self.timeout)
        if outcome.ok:
            return outcome.value
        raise StudentCodeError(outcome.message or f"{self.__name__}: {outcome.status}",
                               outcome.status)

    def __repr__(self) -> str:
        return f"<{self.__name__} in {self.session.path.name}, run in a sandbox worker>"


def _signature(params: Sequence[str] | None) -> inspect.Signature | None:
    """The signature a worker's parameter list describes (``["x", "scale=", "*args"]``)."""
    if not isinstance(params, (list, tuple)):
        return None
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    made = []
    try:
        for text in params:
            if text == "*":
                kind = inspect.Parameter.KEYWORD_ONLY
            elif text.startswith("**"):
                made.append(inspect.Parameter(text[2:], inspect.Parameter.VAR_KEYWORD))
            elif text.startswith("*"):
                made.append(inspect.Parameter(text[1:], inspect.Parameter.VAR_POSITIONAL))
                kind = inspect.Parameter.KEYWORD_ONLY
            elif text.endswith("="):
                made.append(inspect.Parameter(text[:-1], kind, default=...))
            else:
                made.append(inspect.Parameter(text, kind))
        return inspect.Signature(made)
    except (ValueError, TypeError, AttributeError):   # not what a worker describes
        return None
