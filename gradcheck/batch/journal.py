"""The batch journal: every finished submission, saved at once, so a stopped batch resumes.

An append-only JSON-lines file (``grades.csv.journal.jsonl`` beside the gradebook). Each line
is one graded submission::

    {"format": 2, "spec_sha256": "...", "timeout": 5.0, "sandbox": "bwrap", "seed": 1733021,
     "gradcheck": "0.1.0", "seed_drawn": true, "student": "alice", "file_sha256": "...",
     "result": {... SheetResult.to_dict() ...}}

A line is written in one ``write``, flushed and fsynced before the next submission counts as
done, so a batch killed at any moment (Ctrl-C, ``kill -9``, power loss) loses at most the
submissions being graded. When the journal is read, a line is reused only if its student,
the submission file's SHA-256, and the key (the spec's SHA-256, the timeout, the sandbox
mode, the seed, the gradcheck version) all match: a changed submission, spec, seed, timeout
or mode is graded again. A torn last line (a write cut short) is ignored and cut off before
anything new is appended; the last matching line for a student wins. One batch at a time
may use a journal (a lock).

The seed: given (``seed=N``), it is used. Without one, the journal reuses the seed it drew
for an earlier run with the same key (``seed_drawn``), so a resumed batch grades with the
points it started with; failing that (a new or emptied journal), a fresh random seed is
drawn (``secrets.randbelow``). The test points of a drawn seed are known to nobody
beforehand, unlike the spec's public seed.

>>> import tempfile
>>> path = Path(tempfile.mkdtemp()) / "grades.csv.journal.jsonl"
>>> with Journal(path, {"spec_sha256": "ab", "timeout": 5.0}, seed=1) as journal:
...     journal.saved(), journal.seed, journal.seed_source
({}, 1, 'given')
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gradcheck import __version__
from gradcheck.errors import UsageError
from gradcheck.results import SheetResult
from gradcheck.results.jsondata import strict_json

FORMAT = 2
SEED_RANGE = 2**31   # drawn seeds are below this (what `--seed` accepts, and then some)


def journal_path(gradebook: str | os.PathLike[str]) -> Path:
    """Where the journal of a gradebook lives: ``grades.csv`` -> ``grades.csv.journal.jsonl``.

    >>> journal_path("out/grades.csv").as_posix()
    'out/grades.csv.journal.jsonl'
    """
    path = Path(gradebook)
    return path.with_name(path.name + ".journal.jsonl")


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, in hex.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "sheet01.py"
    >>> _ = path.write_bytes(b"")
    >>> file_sha256(path)[:16]
    'e3b0c44298fc1c14'
    """
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class Journal:
    """An open journal: read what it holds for this run's key, append finished submissions.

    ``key`` holds what a saved result depends on besides the submission file and the seed
    (spec SHA-256, timeout, sandbox mode); the seed (``seed`` or ``key["seed"]``, else one
    the journal recorded or draws, see the module's docstring) and the gradcheck version are
    added. ``seed_source``
    says where the seed came from: "given", "journal" or "drawn". ``fresh=True`` empties the
    journal first. Raises UsageError when another batch holds the journal.
    """

    def __init__(self, path: str | os.PathLike[str], key: Mapping[str, Any], *,
                 seed: int | None = None, fresh: bool = False):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise UsageError(f"{self.path} is in use by another gradcheck batch") from None
        if fresh:
            os.ftruncate(self._fd, 0)
        self._lines = self._read_and_repair()
        key = dict(key)
        if seed is None:   # a seed in the key is a given one too
            seed = key.pop("seed", None)
        key.pop("seed", None)
        base = {"format": FORMAT, **key, "gradcheck": __version__}
        self.seed_source = "given"
        if seed is None:
            seed = self._recorded_seed(base)
            self.seed_source = "journal"
            if seed is None:
                seed, self.seed_source = secrets.randbelow(SEED_RANGE), "drawn"
        self.seed = int(seed)
        self.key = {**base, "seed": self.seed}

    def _recorded_seed(self, base: Mapping[str, Any]) -> int | None:
        """The seed of the last line that matches ``base`` and holds a drawn seed."""
        for line in reversed(self._lines):
            try:
                entry = json.loads(line)
                if entry.get("seed_drawn") is True and type(entry.get("seed")) is int \
                        and all(entry.get(k) == v for k, v in base.items()):
                    return entry["seed"]
            except (ValueError, AttributeError):
                continue
        return None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _read_and_repair(self) -> list[str]:
        """The complete lines; a torn tail (no final newline) is cut off the file."""
        size = os.fstat(self._fd).st_size
        data = os.pread(self._fd, size, 0) if size else b""
        end = data.rfind(b"\n") + 1
        if end < len(data):
            os.ftruncate(self._fd, end)
            os.fsync(self._fd)
        return data[:end].decode("utf-8", errors="replace").splitlines()

    def saved(self) -> dict[tuple[str, str], SheetResult]:
        """``(student, file SHA-256) -> result`` for every line that matched this run's key
        when the journal was opened."""
        found: dict[tuple[str, str], SheetResult] = {}
        for line in self._lines:
            try:
                entry = json.loads(line)
                if any(entry.get(k) != v for k, v in self.key.items()):
                    continue
                result = SheetResult.from_dict(entry["result"])
                found[(str(entry["student"]), str(entry["file_sha256"]))] = result
            except (ValueError, KeyError, TypeError, AttributeError):
                continue   # not a line of ours (or a damaged one): grade that submission again
        return found

    def append(self, student: str, file_sha256: str, result: SheetResult | bytes) -> None:
        """Save one finished submission durably (one write, then fsync). ``result`` is a
        SheetResult or its ``to_dict()`` already encoded as JSON (one line, as
        ``json.dumps`` writes it)."""
        if isinstance(result, SheetResult):
            result = strict_json(result.to_dict(), separators=(",", ":")).encode()
        if b"\n" in result:
            raise ValueError("a journal entry must be one line of JSON")
        entry = {**self.key, "seed_drawn": self.seed_source != "given", "student": student,
                 "file_sha256": file_sha256}
        line = strict_json(entry, separators=(",", ":"))[:-1].encode() + b',"result":' + \
            result + b"}\n"
        os.lseek(self._fd, 0, os.SEEK_END)
        written = 0
        while written < len(line):
            written += os.write(self._fd, line[written:])
        os.fsync(self._fd)

    def close(self) -> None:
        """Release the lock and close the file. Idempotent."""
        if self._fd >= 0:
            os.close(self._fd)   # closing drops the flock
            self._fd = -1
