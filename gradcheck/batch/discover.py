"""Finding one submission per student in a folder of downloads: sorted and deterministic.

Two layouts, also mixed:

- **a folder per student** (GitHub Classroom's download: ``sheet01-alice/``): the student's id
  is the folder's name; the submission is ``<module>.py`` or ``<module>.ipynb`` in that folder,
  or in one folder below it (``sheet01-alice/repo/sheet01.py``), also written in another case
  (``Sheet01.py``). A student folder without one is a *missing* submission (a graded zero),
  never skipped silently.
- **a file per student**: ``alice.py``, ``bob.ipynb``, ``carol_sheet01.py`` or
  ``sheet01-dave.py``; the id is the file's name without the suffix and without
  ``_<module>``/``-<module>`` at its end or ``<module>_``/``<module>-`` at its start.

When one student has several candidates, ``.py`` wins over ``.ipynb``, then the shallower
file, then the first by name; a warning names the files left out. Names starting with ``.``
or ``__`` (``.git``, ``__MACOSX``, ``__pycache__``) are ignored, and so are symbolic links: a
submission is only ever a regular file inside the folder (a link could point at the grader's
own files, whose text would come back in the feedback).

``strip_prefix`` removes the ``<assignment>-`` prefix that every id shares
(``sheet01-alice``, ``sheet01-bob`` -> ``alice``, ``bob``).

>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> for name in ("sheet01-bob/sheet01.py", "sheet01-alice/repo/sheet01.ipynb"):
...     (root / name).parent.mkdir(parents=True, exist_ok=True)
...     _ = (root / name).write_text("")
>>> (root / "sheet01-carl").mkdir()
>>> found = discover(root, "sheet01", strip_prefix=True)
>>> [(s.id, s.relative) for s in found.submissions]
[('alice', 'sheet01-alice/repo/sheet01.ipynb'), ('bob', 'sheet01-bob/sheet01.py'), ('carl', None)]
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from gradcheck.errors import UsageError
from gradcheck.sandbox.limits import SUBMISSION_SUFFIXES as SUFFIXES


@dataclass(frozen=True)
class Submission:
    """One student's submission: ``path`` is None when the student's folder holds none
    (``note`` then says what was looked for)."""

    id: str
    path: Path | None
    root: Path               # the folder of all submissions
    note: str = ""

    @property
    def missing(self) -> bool:
        return self.path is None

    @property
    def relative(self) -> str | None:
        """The submission's path below the submissions folder, with ``/`` separators."""
        return None if self.path is None else self.path.relative_to(self.root).as_posix()


@dataclass(frozen=True)
class Discovery:
    """What :func:`discover` found: the submissions sorted by id, and warnings."""

    submissions: tuple[Submission, ...]
    warnings: tuple[str, ...] = ()


def discover(folder: str | os.PathLike[str], module: str, *, strip_prefix: bool = False,
             exclude: Iterable[str | os.PathLike[str]] = ()) -> Discovery:
    """One submission per student in ``folder`` (see the module's docstring for the rules).

    ``exclude`` lists paths inside ``folder`` that are not students (e.g. the feedback
    folder). Raises UsageError when ``folder`` is not a folder.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (root / "alice_sheet01.py").write_text(""), (root / "bob.ipynb").write_text("")
    >>> [(s.id, s.relative) for s in discover(root, "sheet01").submissions]
    [('alice', 'alice_sheet01.py'), ('bob', 'bob.ipynb')]
    """
    root = Path(folder)
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder of submissions")
    skip = {os.path.realpath(p) for p in exclude}
    candidates: dict[str, list[tuple[Path, int]]] = {}
    folders: dict[str, str] = {}      # id -> what the student's folder holds, for the note
    warnings: list[str] = []
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if _ignored(entry) or os.path.realpath(entry) in skip:
            continue
        if entry.is_dir():
            found, seen = _in_folder(entry, module)
            candidates.setdefault(entry.name, []).extend(found)
            folders[entry.name] = seen
        elif entry.is_file() and entry.suffix in SUFFIXES:
            candidates.setdefault(_file_id(entry, module), []).append((entry, 0))
    ids = _stripped_ids(sorted(candidates), warnings) if strip_prefix else {}
    submissions = []
    for key in sorted(candidates):
        student = ids.get(key, key)
        found = sorted(candidates[key], key=lambda c: (c[0].suffix != ".py", c[1],
                                                        c[0].as_posix()))
        if not found:
            seen = folders.get(key, "")
            submissions.append(Submission(student, None, root, (
                f"no {module}.py or {module}.ipynb in {key}/" + (f" (found: {seen})"
                                                                 if seen else ""))))
            continue
        chosen = found[0][0]
        if len(found) > 1:
            others = ", ".join(p.relative_to(root).as_posix() for p, _ in found[1:])
            warnings.append(f"{student}: grading {chosen.relative_to(root).as_posix()}, "
                            f"not {others}")
        submissions.append(Submission(student, chosen, root))
    submissions.sort(key=lambda s: s.id)
    return Discovery(tuple(submissions), tuple(warnings))


def _ignored(path: Path) -> bool:
    return path.name.startswith((".", "__")) or path.is_symlink()


def _in_folder(folder: Path, module: str) -> tuple[list[tuple[Path, int]], str]:
    """Submission files in a student's folder and one level below (with their depth), and
    a short list of the Python files and notebooks seen there (for a missing note)."""
    wanted = {f"{module}{suffix}".lower() for suffix in SUFFIXES}
    found: list[tuple[Path, int]] = []
    seen: list[str] = []
    levels = [(folder, 0)] + [(sub, 1) for sub in _children(folder) if sub.is_dir()]
    for where, depth in levels:
        for path in _children(where):
            if path.is_file() and path.suffix in SUFFIXES:
                if path.name.lower() in wanted:
                    found.append((path, depth))
                elif len(seen) < 5:
                    seen.append(path.relative_to(folder).as_posix())
    return found, ", ".join(seen)


def _children(folder: Path) -> list[Path]:
    try:
        return sorted((p for p in folder.iterdir() if not _ignored(p)), key=lambda p: p.name)
    except OSError:
        return []


def _file_id(path: Path, module: str) -> str:
    """``alice_sheet01.py`` -> ``alice``; ``sheet01-bob.ipynb`` -> ``bob``; ``alice.py`` stays."""
    stem, low, mod = path.stem, path.stem.lower(), module.lower()
    for sep in ("_", "-", " "):
        if low.endswith(sep + mod) and len(stem) > len(mod) + 1:
            return stem[:-len(mod) - 1]
        if low.startswith(mod + sep) and len(stem) > len(mod) + 1:
            return stem[len(mod) + 1:]
    return stem


def _stripped_ids(keys: list[str], warnings: list[str]) -> dict[str, str]:
    """The ids without the ``<assignment>-`` prefix all of them share (empty if there is none
    or stripping would leave an empty or a repeated id)."""
    prefix = os.path.commonprefix(keys) if len(keys) > 1 else ""
    prefix = prefix[:prefix.rfind("-") + 1]
    stripped = {key: key[len(prefix):] for key in keys}
    if not prefix or "" in stripped.values() or len(set(stripped.values())) < len(keys):
        warnings.append("--strip-prefix: the ids share no '<assignment>-' prefix; kept as they are")
        return {}
    return stripped
