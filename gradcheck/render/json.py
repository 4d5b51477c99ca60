"""The full graded sheet as one JSON object (``--format json``).

The object is :meth:`SheetResult.to_dict`: ``sheet``, ``title``, ``module``, ``submission``,
``score``, ``max_score``, ``manual_points``, ``seed``, ``spec_sha256``,
``gradcheck_version``, ``warnings``, ``load_error``, ``output``, ``duration`` and
``exercises`` (each with ``id``, ``title``, ``kind``, ``student``, ``points``, ``score``,
``status``, ``message``, ``worst_error``, ``checks`` - every test point with its inputs and
comparisons - ``duration``, ``filename``, ``line_no``, ``output``), in that order.
Non-finite errors are the strings ``"nan"``, ``"inf"``, ``"-inf"``, so the text is strict
JSON; it is ASCII (other characters are ``\\u`` escapes).
"""

from __future__ import annotations

from gradcheck.results import SheetResult
from gradcheck.results.jsondata import strict_json


def to_json(result: SheetResult) -> str:
    """The graded sheet as indented, strict JSON (no trailing newline).

    >>> from gradcheck.results import SheetResult
    >>> empty = SheetResult(sheet="s", title="", module="s", submission="s.py", score=0.0,
    ...                     max_score=0.0, manual_points=0.0, seed=1, spec_sha256="ab",
    ...                     gradcheck_version="0.1.0", exercises=())
    >>> import json
    >>> json.loads(to_json(empty))["seed"]
    1
    """
    return strict_json(result.to_dict(), indent=2)
