"""``uses``: the exercises an exercise builds on (3b computes A and B with the student's own
nodes of 3a). When both lose points, the later one's message says which earlier ones fail,
so that a student fixes the cause first (:func:`gradcheck.grading.messages.builds_on`).

``uses`` is a list of exercise ids that come earlier in the sheet; anything else is a spec
error that names the line of ``uses``. Nothing here imports the model: :func:`link` works on
the exercises it is handed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any


def link(exercises: Sequence[Any], items: Sequence[Any], reader: Any) -> list[Any]:
    """``exercises`` with ``uses`` read from their YAML ``items`` (one each, in order)."""
    done: list[Any] = []
    for exercise, item in zip(exercises, items, strict=True):
        if item.get("uses") is None:
            done.append(exercise)
            continue
        ids = reader.names(item, "uses")
        earlier = [e.id for e in done if e.automatic]
        for used in ids:
            if used == exercise.id or used not in earlier:
                raise reader.error(f"{used!r} is not an automatic exercise earlier in the "
                                   f"sheet (those are: {', '.join(earlier) or 'none'})",
                                   item, "uses")
        done.append(dataclasses.replace(exercise, uses=tuple(dict.fromkeys(ids))))
    return done
