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

File names are matched without regard to case (``SHEET01.PY``). When a student's folder holds
no ``<module>.py``/``.ipynb``, one unambiguous rename is accepted: ``<module> (1).py`` (a
browser's second download), ``<module>_<name>.py`` or ``<module>-final.ipynb``; several such
names, ``<module>.py.txt`` (a hidden extension) and zip archives are listed in the missing
note (with what to do: rename, unpack), never graded silently or dropped. A zip archive in
the folder of all submissions is a row of its own (missing, "unpack it first").

When one student has several candidates, :func:`gradcheck.grading.choice.choose` picks one:
a ``.py`` that is still the template (nothing implemented) loses, else a clearly newer
file wins, else ``.py`` over ``.ipynb``, then the shallower file, then the first by name; the
submission's note and a warning name the files left out. Names starting with ``.``
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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gradcheck.errors import UsageError
from gradcheck.grading.choice import choose
from gradcheck.sandbox.limits import SUBMISSION_SUFFIXES as SUFFIXES

ARCHIVES = (".zip", ".tar", ".gz", ".tgz", ".7z", ".rar")   # listed with "unpack it first"
HIDDEN_SUFFIX = tuple(suffix + ".txt" for suffix in SUFFIXES)   # "sheet01.py.txt"


@dataclass(frozen=True)
class Submission:
    """One student's submission: ``path`` is None when the student's folder holds none
    (``note`` then says what was looked for and what was found); for a submission, ``note``
    names the other candidates left out (empty when there were none)."""

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
        elif entry.is_file() and entry.suffix.lower() in SUFFIXES:
            candidates.setdefault(_file_id(entry.stem, module), []).append((entry, 0))
        elif entry.is_file() and _unusable(entry.name):
            student = _file_id(_unusable(entry.name), module)
            candidates.setdefault(student, [])
            folders[student] = f"{entry.name}: {_advice(entry.name)}"
            warnings.append(f"{student}: {entry.name} is not graded; {_advice(entry.name)}")
    ids = _stripped_ids(sorted(candidates), warnings) if strip_prefix else {}
    submissions = []
    for key in sorted(candidates):
        student = ids.get(key, key)
        found = sorted(candidates[key], key=lambda c: (c[0].suffix.lower() != ".py", c[1],
                                                        c[0].as_posix()))
        if not found:
            seen = folders.get(key, "")
            where = f" in {key}/" if key in folders and ": " not in seen else ""
            submissions.append(Submission(student, None, root, (
                f"no {module}.py or {module}.ipynb{where}" + (f" (found: {seen})"
                                                              if seen else ""))))
            continue
        chosen, note = choose([p for p, _ in found], show=lambda p: p.relative_to(root).as_posix())
        if note:
            others = note.partition("; also found ")[2]
            warnings.append(f"{student}: grading {chosen.relative_to(root).as_posix()}, "
                            f"not {others}")
        submissions.append(Submission(student, chosen, root, note))
    submissions.sort(key=lambda s: s.id)
    return Discovery(tuple(submissions), tuple(warnings))


def nobody_submitted(module: str, submissions: Sequence[Submission]) -> str:
    """The error for a batch where no student has a file named after the sheet's module.

    >>> s = Submission("ann", None, Path("."), "no sheet01.py or sheet01.ipynb in ann/ "
    ...                "(found: hw1.py)")
    >>> print(nobody_submitted("sheet01", [s]))
    0 of 1 student submitted sheet01.py or sheet01.ipynb (is the spec's module right?)
      ann: found hw1.py
    """
    count = len(submissions)
    seen = [f"  {s.id}: found {s.note.partition('(found: ')[2][:-1]}"
            for s in submissions if "(found: " in s.note][:3]
    return "\n".join([f"0 of {count} student{'' if count == 1 else 's'} submitted "
                      f"{module}.py or {module}.ipynb (is the spec's module right?)", *seen])


def _ignored(path: Path) -> bool:
    return path.name.startswith((".", "__")) or path.is_symlink()


def _in_folder(folder: Path, module: str) -> tuple[list[tuple[Path, int]], str]:
    """Submission files in a student's folder and one level below (with their depth), and
    a short list of the Python files and notebooks seen there (for a missing note)."""
    wanted = {f"{module}{suffix}".lower() for suffix in SUFFIXES}
    found: list[tuple[Path, int]] = []
    renamed: list[tuple[Path, int]] = []
    seen: list[str] = []
    levels = [(folder, 0)] + [(sub, 1) for sub in _children(folder) if sub.is_dir()]
    for where, depth in levels:
        for path in _children(where):
            if not path.is_file():
                continue
            shown = path.relative_to(folder).as_posix()
            if path.suffix.lower() in SUFFIXES and path.name.lower() in wanted:
                found.append((path, depth))
            elif path.suffix.lower() in SUFFIXES and _renamed(path.stem, module):
                renamed.append((path, depth))
            elif _unusable(path.name) and len(seen) < 5:
                seen.append(f"{shown} ({_advice(path.name)})")
            elif path.suffix.lower() in SUFFIXES and len(seen) < 5:
                seen.append(shown)
    if not found and len({p.stem.lower() for p, _ in renamed}) == 1:
        found = renamed          # one rename, perhaps in both formats: unambiguous
    elif not found:
        seen[:0] = [p.relative_to(folder).as_posix() for p, _ in renamed][:5]
    return found, ", ".join(seen[:5])


def _renamed(stem: str, module: str) -> bool:
    """``sheet01 (1)``, ``sheet01_mueller``, ``Sheet01-final``: the module's name, renamed."""
    low, mod = stem.lower(), module.lower()
    return low.startswith(mod) and len(low) > len(mod) and low[len(mod)] in "_- ("


def _unusable(name: str) -> str:
    """For ``sheet01.py.txt`` or an archive, its name without those suffixes (``sheet01``,
    ``sheet01-jan.zip`` -> ``sheet01-jan``); "" for any other file."""
    low = name.lower()
    if low.endswith(HIDDEN_SUFFIX):
        return name[:-4].rpartition(".")[0]
    for suffix in ARCHIVES:
        if low.endswith(suffix) and len(name) > len(suffix):
            stem = name[:-len(suffix)]
            return stem[:-4] if stem.lower().endswith(".tar") else stem
    return ""


def _advice(name: str) -> str:
    if name.lower().endswith(HIDDEN_SUFFIX):
        return f"a text file: rename it to {name[:-4]}"
    return "an archive: unpack it first (gradcheck grades .py and .ipynb files only)"


def _children(folder: Path) -> list[Path]:
    try:
        return sorted((p for p in folder.iterdir() if not _ignored(p)), key=lambda p: p.name)
    except OSError:
        return []


def _file_id(stem: str, module: str) -> str:
    """``alice_sheet01`` -> ``alice``; ``sheet01-bob`` -> ``bob``; ``alice`` stays."""
    low, mod = stem.lower(), module.lower()
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
