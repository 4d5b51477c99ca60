"""The batch journal: every finished submission, saved at once, so a stopped batch resumes.

An append-only JSON-lines file (``grades.csv.journal.jsonl`` beside the gradebook). Each line
is one graded submission::

    {"format": 1, "student": "alice", "file_sha256": "...", "spec_sha256": "...", "seed": 2024,
     "timeout": 5.0, "gradcheck": "0.1.0", "result": {... SheetResult.to_dict() ...}}

A line is written in one ``write``, flushed and fsynced before the next submission counts as
done, so a batch killed at any moment (Ctrl-C, ``kill -9``, power loss) loses at most the
submissions being graded. When the journal is read, a line is reused only if its student,
the submission file's SHA-256, the spec's SHA-256, the seed, the timeout and the gradcheck
version all match: a changed submission, spec, seed or timeout is graded again. A torn last
line (a write cut short) is ignored and cut off before anything new is appended; the last
matching line for a student wins. One batch at a time may use a journal (a lock).

>>> import tempfile
>>> path = Path(tempfile.mkdtemp()) / "grades.csv.journal.jsonl"
>>> with Journal(path, {"spec_sha256": "ab", "seed": 1, "timeout": 5.0}) as journal:
...     journal.saved()
{}
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gradcheck import __version__
from gradcheck.errors import UsageError
from gradcheck.results import SheetResult

FORMAT = 1


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

    ``key`` holds what a saved result depends on besides the submission file (spec SHA-256,
    seed, timeout); the gradcheck version is added. ``fresh=True`` empties the journal first.
    Raises UsageError when another batch holds the journal.
    """

    def __init__(self, path: str | os.PathLike[str], key: Mapping[str, Any], *,
                 fresh: bool = False):
        self.path = Path(path)
        self.key = {"format": FORMAT, **key, "gradcheck": __version__}
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
            result = json.dumps(result.to_dict(), separators=(",", ":")).encode()
        if b"\n" in result:
            raise ValueError("a journal entry must be one line of JSON")
        entry = {**self.key, "student": student, "file_sha256": file_sha256}
        line = json.dumps(entry, separators=(",", ":"))[:-1].encode() + b',"result":' + \
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
