"""The arithmetic of GitHub Classroom's grading reporter, and scores chosen for it.

classroom-resources/autograding-grading-reporter (``src/notify-classroom.js``) adds up
``tests[].score`` of every runner whose ``max_score`` is not 0, left to right, starting at
0, in JavaScript doubles, and posts ``Points ${totalPoints}/${maxPoints}``: the total as
JavaScript prints a number (the shortest text that reads back as the same double). Partial
credit such as 2/3 of a point makes that ``63.666666666666664`` or, after rounding each
score to 2 decimals, ``63.669999999999995``.

:func:`reporter_scores` picks the scores gradcheck sends so that the reporter's sum is the
double nearest to the total gradcheck's table prints (``63.67``): each exercise's score
rounded to cents so that the cents add up to the table's total (largest remainders), then
the last non-zero score moved by a few units in the last place, if needed, until the
reporter's float sum lands on that total exactly. :func:`reporter_total` is a model of the
reporter's arithmetic and printing; tests run it against the reporter's own code in node.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from gradcheck.render.common import fmt_num

_NUDGES = 256        # units in the last place tried; 2 or 3 suffice in practice


def js_number(value: float) -> str:
    """``value`` as JavaScript's ``String(number)`` prints it (integers without ``.0``,
    exponents from 1e21 and below 1e-6), for the range of scores.

    >>> js_number(63.67), js_number(64.0), js_number(0.1 + 0.2), js_number(1e-7)
    ('63.67', '64', '0.30000000000000004', '1e-7')
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" not in text:
        return text
    if 1e-6 <= abs(value) < 1e21:              # JavaScript writes these out in full
        return format(Decimal(text), "f")
    mantissa, exponent = text.split("e")
    sign = "-" if exponent.startswith("-") else "+"
    return f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0')}"


def reporter_total(runners: Sequence[dict]) -> tuple[str, str] | None:
    """``(totalPoints, maxPoints)`` as the reporter prints them in ``Points a/b``, or None
    when it posts no points (every ``max_score`` is 0 or missing). A model of
    ``NotifyClassroom`` in ``src/notify-classroom.js``.

    >>> reporter_total([{"max_score": 3, "tests": [{"score": 1 / 3}, {"score": 2 / 3}]}])
    ('1', '3')
    >>> reporter_total([{"max_score": 2, "tests": [{"score": 0.1}, {"score": 0.2}]}])
    ('0.30000000000000004', '2')
    """
    total = 0.0
    maximum = 0.0
    for results in runners:
        if not results.get("max_score"):
            continue
        maximum += results["max_score"]
        for test in results.get("tests", []):
            total += test["score"]
    if not maximum:
        return None
    return js_number(total), js_number(maximum)


def _cents(scores: Sequence[float], total_cents: int) -> list[int]:
    """Each score in whole cents, rounded so that they add up to ``total_cents`` (largest
    remainders first; ties to the earlier exercise)."""
    exact = [max(s, 0.0) * 100 for s in scores]
    floors = [math.floor(x + 1e-9) for x in exact]
    order = sorted(range(len(scores)), key=lambda i: (-(exact[i] - floors[i]), i))
    missing = total_cents - sum(floors)
    cents = list(floors)
    if missing >= 0:
        for i in order[:missing]:
            cents[i] += 1
        if missing > len(order) and order:      # the total is not the sum: put it last
            cents[order[0]] += missing - len(order)
    else:
        for i in reversed(order):
            take = min(cents[i], -missing)
            cents[i] -= take
            missing += take
            if not missing:
                break
    return cents


def reporter_scores(scores: Sequence[float], total: float) -> list[float]:
    """Scores to send for ``scores`` (in the order the reporter adds them) so that its
    left-to-right double sum prints as ``fmt_num(total)``, the total of gradcheck's table.

    Every score stays within a cent (plus a few units in the last place) of its own value.

    >>> third = 2 / 3
    >>> sum([0.0] + [third] * 3)
    2.0
    >>> reporter_scores([third, third, 4 / 3], 8 / 3)
    [0.67, 0.67, 1.33]
    >>> from functools import reduce
    >>> reduce(lambda a, b: a + b, reporter_scores([62 + third, 1.0], 63 + third), 0.0)
    63.67
    """
    target = float(fmt_num(total))
    cents = _cents(scores, round(target * 100))
    chosen = [c / 100 for c in cents]
    running = 0.0
    for value in chosen:
        running += value
    nonzero = [i for i, c in enumerate(cents) if c]
    if running == target or not nonzero:
        return chosen
    last = nonzero[-1]
    prefix = 0.0
    for value in chosen[:last]:
        prefix += value
    value = target - prefix
    for _ in range(_NUDGES):
        reached = prefix + value
        if reached == target:
            break
        value = math.nextafter(value, math.inf if reached < target else -math.inf)
    chosen[last] = value
    return chosen
