"""A disk cache of test points and their reference answers.

Drawing test points and their reference answers is much of the work of a `gradcheck grade`
on a laptop, and it gives the same result for the same spec file, seed, gradcheck version and
numpy version. So does what a failing answer needs (whether finite differences agree with the
reference at a point, and the spec function's values at the shifted inputs from which a
difference quotient is recognised): a student's rerun finds those as *findings*. The cache
keeps both in ``$GRADCHECK_CACHE`` (default ``$XDG_CACHE_HOME/gradcheck`` or
``~/.cache/gradcheck``) as ``.npz`` files read without pickle; ``GRADCHECK_CACHE=off`` turns
it off. It is a convenience for students: batch grading never reads it, so a tampered cache
cannot change an authoritative grade.

>>> cache_key("ab" * 32, 3) == cache_key("ab" * 32, 3)
True
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gradcheck import __version__
from gradcheck.spec.sampling import TestPoint

FORMAT = 7  # bump whenever sampling draws or checks points differently, or findings change


def cache_dir() -> Path | None:
    """Where cached points live, or None when caching is off."""
    setting = os.environ.get("GRADCHECK_CACHE", "")
    if setting.lower() in ("off", "0", "no", "false"):
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "gradcheck"


def cache_key(spec_sha256: str, seed: int) -> str:
    """Everything the points depend on: the spec's bytes, the seed, and the code."""
    text = f"{FORMAT}|{spec_sha256}|{seed}|{__version__}|{np.__version__}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def load(spec_sha256: str, seed: int) -> dict[str, tuple[TestPoint, ...]] | None:
    """The cached points for this spec and seed, or None (missing, unreadable, off)."""
    found = _read("points", spec_sha256, seed)
    return None if found is None else _points(*found)


def store(spec_sha256: str, seed: int, points: Mapping[str, tuple[TestPoint, ...]]) -> None:
    """Save points for later runs; a cache that cannot be written is silently skipped.

    Every array goes into one flat float64 array; the JSON index holds names and shapes.
    """
    writer = _Writer()
    _write("points", spec_sha256, seed, _index(points, writer), writer)


def dumps(points: Mapping[str, tuple[TestPoint, ...]]) -> bytes:
    """The points as bytes in the cache's format (``.npz``, no pickle), for another process
    to take up with :func:`loads` (a batch's grading processes).

    >>> loads(dumps({"1a": ()}))
    {'1a': ()}
    """
    writer = _Writer()
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps(_index(points, writer))), values=_values(writer))
    return buffer.getvalue()


def loads(data: bytes) -> dict[str, tuple[TestPoint, ...]] | None:
    """The points :func:`dumps` wrote, or None when ``data`` is not such bytes."""
    found = _unpack(io.BytesIO(data))
    return None if found is None else _points(*found)


def _index(points: Mapping[str, tuple[TestPoint, ...]], writer: _Writer) -> list:
    return [(exercise_id, [{
        "inputs": [[name, writer.shape_of(value), _DTYPES.get(value.dtype.kind, "f")]
                   for name, value in point.inputs.items()],
        "expected": [writer.shape_of(value) for value in point.expected],
        "grad": None if point.grad_output is None else writer.shape_of(point.grad_output),
        "labels": list(point.labels), "fixed": point.fixed, "probe": point.probe,
        "verified": point.verified,
    } for point in exercise_points]) for exercise_id, exercise_points in points.items()]


def _points(meta, reader: _Reader) -> dict[str, tuple[TestPoint, ...]] | None:
    try:
        return {exercise_id: tuple(reader.point(p) for p in points)
                for exercise_id, points in meta}
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


@dataclass(frozen=True)
class Evaluations:
    """The spec function's values one difference-quotient model needed at one point and
    answer: ``value`` at the point itself (flat), and ``memo``, keyed by ``(entry, shift)``,
    at the point with one entry shifted (flat; see :class:`gradcheck.numeric.QuotientModel`).

    >>> import numpy as np
    >>> Evaluations(np.zeros(1), {(0, 0.5): np.ones(1)}).memo[(0, 0.5)]
    array([1.])
    """

    value: np.ndarray
    memo: Mapping[tuple[int, float], np.ndarray]


Findings = tuple[dict[tuple[str, int], str], dict[tuple[str, int, int], Evaluations]]


def load_findings(spec_sha256: str, seed: int) -> Findings:
    """What earlier runs found at failing points: ``(agreement, evaluations)``, keyed by
    ``(exercise id, point index)`` and ``(exercise id, point index, answer)``; empty when
    there is nothing (or caching is off).

    >>> load_findings("", 1)
    ({}, {})
    """
    found = _read("findings", spec_sha256, seed)
    if found is None:
        return {}, {}
    meta, reader = found
    try:
        agreement = {(e, int(i)): str(problem) for e, i, problem in meta["agreement"]}
        evaluations = {(e, int(i), int(k)): Evaluations(
            reader.take(shape), {(int(j), float(t)): reader.take(s) for j, t, s in memo})
            for e, i, k, shape, memo in meta["evaluations"]}
    except (ValueError, KeyError, TypeError, IndexError):
        return {}, {}
    return agreement, evaluations


def store_findings(spec_sha256: str, seed: int, findings: Findings) -> None:
    """Save what failing answers needed, for the next run (silently skipped if unwritable)."""
    agreement, evaluations = findings
    writer = _Writer()
    meta = {"agreement": [[e, i, problem] for (e, i), problem in agreement.items()],
            "evaluations": [[e, i, k, writer.shape_of(found.value),
                             [[j, t, writer.shape_of(v)] for (j, t), v in found.memo.items()]]
                            for (e, i, k), found in evaluations.items()]}
    _write("findings", spec_sha256, seed, meta, writer)


class _Writer:
    """Collects arrays into one flat float64 array; ``shape_of`` returns what to index."""

    def __init__(self):
        self.chunks: list[np.ndarray] = []

    def shape_of(self, array: np.ndarray) -> list[int]:
        self.chunks.append(np.asarray(array, dtype=np.float64).reshape(-1))
        return list(np.shape(array))


def _values(writer: _Writer) -> np.ndarray:
    return np.concatenate(writer.chunks) if writer.chunks else np.zeros(0)


def _write(kind: str, spec_sha256: str, seed: int, meta, writer: _Writer) -> None:
    folder = cache_dir()
    if folder is None or not spec_sha256:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, meta=np.array(json.dumps(meta)), values=_values(writer))
        os.replace(tmp, folder / f"{kind}-{cache_key(spec_sha256, seed)}.npz")
    except OSError:
        Path(tmp).unlink(missing_ok=True)


def _read(kind: str, spec_sha256: str, seed: int):
    """(JSON index, a reader of the arrays) of a cache file, or None."""
    folder = cache_dir()
    if folder is None or not spec_sha256:
        return None
    return _unpack(folder / f"{kind}-{cache_key(spec_sha256, seed)}.npz")


def _unpack(source):
    """(JSON index, a reader of the arrays) of a file or buffer in the cache's format, or
    None."""
    try:
        with np.load(source, allow_pickle=False) as data:
            meta, values = json.loads(str(data["meta"])), data["values"]
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        return None
    return meta, _Reader(values)


_DTYPES = {"b": "b", "i": "i", "u": "i"}   # data inputs keep their dtype (exact in float64)
_KINDS = {"f": np.float64, "i": np.int64, "b": np.bool_}


class _Reader:
    """Cuts the flat array back into arrays, in the order ``store`` wrote them."""

    def __init__(self, values: np.ndarray):
        self.values = values
        self.offset = 0

    def take(self, shape: list[int]) -> np.ndarray:
        size = int(np.prod(shape, dtype=np.int64))
        if self.offset + size > self.values.size:
            raise ValueError("the cache file is shorter than its index")
        array = self.values[self.offset:self.offset + size].reshape(shape).copy()
        self.offset += size
        return array

    def point(self, described: dict) -> TestPoint:
        inputs = {name: self.take(shape).astype(_KINDS[kind], copy=False)
                  for name, shape, kind in described["inputs"]}
        expected = tuple(self.take(shape) for shape in described["expected"])
        grad = None if described["grad"] is None else self.take(described["grad"])
        return TestPoint(inputs=inputs, expected=expected, labels=tuple(described["labels"]),
                         grad_output=grad, fixed=bool(described["fixed"]),
                         probe=int(described["probe"]), verified=bool(described["verified"]))
