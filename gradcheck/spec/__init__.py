"""Exercise specs: YAML files -> frozen ``Sheet`` / ``Exercise`` objects, validated.

Every error is a ``SpecError`` naming the file, the line and the key. The format is
documented in ``docs/spec-format.md``; bundled sheets live in ``gradcheck/exercises/``.

>>> sheet = load_sheet("sheet01")
>>> sheet.module, sheet.exercises[0].student
('sheet01', 'd_1a')
"""

from __future__ import annotations

import difflib
import hashlib
import os
from pathlib import Path

from gradcheck.errors import SpecError
from gradcheck.spec.bounds import MAX_DOCUMENT
from gradcheck.spec.frozen import BUNDLED, load_frozen
from gradcheck.spec.model import DEFAULT_POINTS_AT, Exercise, InputSpec, Sheet, Tolerance
from gradcheck.spec.reader import SheetReader

__all__ = ["Sheet", "Exercise", "InputSpec", "Tolerance", "DEFAULT_POINTS_AT", "BUNDLED",
           "bundled_sheets", "find_spec", "load_sheet", "parse_sheet"]


# --- finding and loading -------------------------------------------------------------------


def bundled_sheets() -> list[str]:
    """Names of the sheets shipped inside the package, sorted."""
    return sorted(p.stem for p in BUNDLED.glob("*.yaml"))


def find_spec(name_or_path: str) -> Path:
    """A spec file: a path (ending in .yaml/.yml, naming a file, or with a folder in it), or
    else the name of a bundled sheet. A folder named like a sheet (``sheet01/``, where a
    student keeps the work) does not hide the bundled sheet."""
    path = Path(name_or_path)
    looks_like_path = path.suffix in (".yaml", ".yml") or path.is_file() \
        or "/" in name_or_path or os.sep in name_or_path
    if looks_like_path:
        if path.is_dir():
            raise SpecError("is a folder, not a spec file (give the .yaml file, or the name of "
                            "a bundled sheet)", file=str(path))
        if not path.is_file():
            raise SpecError("no such spec file", file=str(path))
        return path
    bundled = BUNDLED / f"{name_or_path}.yaml"
    if bundled.is_file():
        return bundled
    sheets = bundled_sheets()
    hint = difflib.get_close_matches(name_or_path, sheets, n=1)
    message = f"no sheet named {name_or_path!r} and no such file"
    if hint:
        message += f"; did you mean {hint[0]!r}?"
    raise SpecError(message + f" (bundled sheets: {', '.join(sheets)})", file=name_or_path)


def load_sheet(name_or_path: str | Path) -> Sheet:
    """Load and validate a sheet by bundled name or file path."""
    path = find_spec(str(name_or_path))
    with open(path, "rb") as f:
        raw = f.read(MAX_DOCUMENT + 1)   # never more: a spec is small (spec/bounds.py)
    if len(raw) > MAX_DOCUMENT:
        raise SpecError(f"the spec is larger than {MAX_DOCUMENT} bytes", file=str(path), line=1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"not UTF-8 text ({exc.reason})", file=str(path)) from None
    sha256 = hashlib.sha256(raw).hexdigest()
    if path.resolve().parent == BUNDLED:   # parsed ahead of time (spec/frozen.py)
        data = load_frozen(path, text)
        if data is not None:
            return SheetReader(str(path)).sheet(data, sha256)
    return parse_sheet(text, file=str(path), sha256=sha256)


def parse_sheet(text: str, *, file: str = "<spec>", sha256: str | None = None) -> Sheet:
    """Validate spec text into a ``Sheet`` (see ``docs/spec-format.md``)."""
    from gradcheck.spec.yamlfile import load_located

    data = load_located(text, file)
    if sha256 is None:
        sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return SheetReader(file).sheet(data, sha256)
