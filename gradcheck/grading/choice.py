"""Which of several files a student left is the submission: ``sheet01.py`` and
``sheet01.ipynb`` side by side, one of them often the untouched template.

The rule: a ``.py`` file that is still a template (nothing implemented: see
:func:`is_template`) loses to any other file; else the newest file wins when it is newer than
every other one by more than ``SAME_TIME`` seconds (copies unpacked or checked out together
carry nearly the same time); else the first in the caller's order (``.py`` before ``.ipynb``).
The note says which file was graded and names every other one, with the reason it was passed
over.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gradcheck.errors import SubmissionError

if TYPE_CHECKING:
    from gradcheck.spec import Sheet

SUBMISSION_SUFFIXES = (".py", ".ipynb")
SAME_TIME = 2.0            # seconds: modification times this close count as the same
MAX_TEMPLATE = 1_000_000   # bytes: a larger file is not read to see whether it is a template


def is_template(path: Path) -> bool:
    r"""Whether ``path`` is a ``.py`` file that is still a template: it defines functions and
    every one of them (methods too) only raises ``NotImplementedError`` (after its
    docstring). A template written by another version, or with a comment added, counts too.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "sheet01.py"
    >>> _ = path.write_text("def f(x):\n    raise NotImplementedError\n")
    >>> is_template(path)
    True
    >>> _ = path.write_text("def f(x):\n    return 2 * x\n")
    >>> is_template(path)
    False
    """
    if path.suffix.lower() != ".py":
        return False
    try:
        if path.stat().st_size > MAX_TEMPLATE:
            return False
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    functions = [node for node in ast.walk(tree)
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return bool(functions) and all(_stub(f.body) for f in functions)


def _stub(body: list[ast.stmt]) -> bool:
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]    # the docstring
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    exc = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def choose(paths: Sequence[Path], show: Callable[[Path], str] = str) -> tuple[Path, str]:
    r"""The file to grade among ``paths`` (in order of preference) and a note naming the
    others (empty when there is only one); ``show`` writes a path for the note.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> stub = "def f(x):\n    raise NotImplementedError\n"
    >>> _ = (folder / "a.py").write_text(stub), (folder / "a.ipynb").write_text("{}")
    >>> path, note = choose([folder / "a.py", folder / "a.ipynb"], show=lambda p: p.name)
    >>> path.name, note
    ('a.ipynb', 'graded a.ipynb; also found a.py (the unchanged template)')
    """
    paths = list(paths)
    if len(paths) == 1:
        return paths[0], ""
    reasons: dict[Path, str] = {}
    worked = [p for p in paths if not is_template(p)]
    for path in paths:
        if path not in worked:
            reasons[path] = "the unchanged template"
    pool = worked or paths
    chosen = pool[0]
    times = {p: _mtime(p) for p in pool}
    newest = max(pool, key=lambda p: times[p])
    if all(times[newest] - times[p] > SAME_TIME for p in pool if p != newest):
        chosen = newest
        for path in pool:
            if path != chosen:
                reasons[path] = "older"
    others = ", ".join(show(p) + (f" ({reasons[p]})" if p in reasons else "")
                       for p in paths if p != chosen)
    return chosen, f"graded {show(chosen)}; also found {others}"


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def locate(module: str, folder: Path = Path(".")) -> tuple[Path | None, str]:
    """``<module>.py`` or ``<module>.ipynb`` in ``folder`` by :func:`choose` (None when there
    is neither) and the note naming the file left out."""
    paths = [folder / f"{module}{suffix}" for suffix in (".py", ".ipynb")]
    paths = [p for p in paths if p.is_file()]
    return choose(paths, show=lambda p: p.name) if paths else (None, "")


def find_submission(sheet: Sheet, submission: str | Path | None, folder: Path = Path(".")
                    ) -> Path:
    """The file to grade: the given path, else ``<module>.py`` or ``<module>.ipynb`` (both
    there: :func:`choose` picks one). Raises SubmissionError when there is none.

    >>> from gradcheck.spec import load_sheet
    >>> find_submission(load_sheet("sheet01"), "solutions/sheet01.py").name
    'sheet01.py'
    """
    if submission is not None:
        path = Path(submission)
        if not path.is_file():
            raise SubmissionError(f"submission {path} does not exist")
        if path.suffix.lower() not in SUBMISSION_SUFFIXES:
            raise SubmissionError(f"submission {path} is not a .py file or an .ipynb notebook")
        return path
    path, _ = locate(sheet.module, folder)
    if path is not None:
        return path
    from gradcheck.spec.template import sheet_argument

    raise SubmissionError(
        f"no submission found: expected {sheet.module}.py or {sheet.module}.ipynb in "
        f"{folder.resolve()} (or pass --submission FILE; `gradcheck init "
        f"{sheet_argument(sheet, folder)}` writes a template)")
