"""A disk cache of test points and their reference answers.

Drawing test points and checking each against finite differences is most of the work of a
`gradcheck grade` on a laptop, and it gives the same result for the same spec file, seed,
gradcheck version and numpy version. The cache keeps it in ``$GRADCHECK_CACHE`` (default
``$XDG_CACHE_HOME/gradcheck`` or ``~/.cache/gradcheck``) as ``.npz`` files read without
pickle; ``GRADCHECK_CACHE=off`` turns it off. It is a convenience for students: batch grading
never reads it, so a tampered cache cannot change an authoritative grade.

>>> cache_key("ab" * 32, 3) == cache_key("ab" * 32, 3)
True
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from gradcheck import __version__
from gradcheck.sampling import TestPoint

FORMAT = 3  # bump whenever sampling draws or checks points differently


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
    folder = cache_dir()
    if folder is None or not spec_sha256:
        return None
    path = folder / f"points-{cache_key(spec_sha256, seed)}.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            return {exercise_id: tuple(_point(data, f"{i}.{j}", p)
                                       for j, p in enumerate(points))
                    for i, (exercise_id, points) in enumerate(meta)}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(spec_sha256: str, seed: int, points: Mapping[str, tuple[TestPoint, ...]]) -> None:
    """Save points for later runs; a cache that cannot be written is silently skipped."""
    folder = cache_dir()
    if folder is None or not spec_sha256:
        return
    arrays: dict[str, np.ndarray] = {}
    meta = []
    for i, (exercise_id, exercise_points) in enumerate(points.items()):
        described = []
        for j, point in enumerate(exercise_points):
            prefix = f"{i}.{j}"
            for name, value in point.inputs.items():
                arrays[f"{prefix}.in.{name}"] = value
            for k, value in enumerate(point.expected):
                arrays[f"{prefix}.exp.{k}"] = value
            if point.grad_output is not None:
                arrays[f"{prefix}.grad"] = point.grad_output
            described.append({"inputs": list(point.inputs), "expected": len(point.expected),
                              "labels": list(point.labels), "fixed": point.fixed,
                              "grad": point.grad_output is not None})
        meta.append((exercise_id, described))
    arrays["meta"] = np.array(json.dumps(meta))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(tmp, folder / f"points-{cache_key(spec_sha256, seed)}.npz")
    except OSError:
        Path(tmp).unlink(missing_ok=True)


def _point(data: Mapping[str, np.ndarray], prefix: str, described: dict) -> TestPoint:
    return TestPoint(
        inputs={name: data[f"{prefix}.in.{name}"] for name in described["inputs"]},
        expected=tuple(data[f"{prefix}.exp.{k}"] for k in range(described["expected"])),
        labels=tuple(described["labels"]),
        grad_output=data[f"{prefix}.grad"] if described["grad"] else None,
        fixed=bool(described["fixed"]))
