"""JUnit XML (``--format junit``) for CI systems that show test reports.

One ``<testsuite name=sheet>`` as the root (what Maven Surefire writes; every JUnit reader
takes it); one ``<testcase classname=sheet name="<id> <title>">`` per exercise. An exercise
that lost points (fail, not implemented) has a ``<failure>``, one that crashed or timed out
an ``<error>`` (``message`` = diagnosis, ``type`` = status, text = score and worst test
point), a manual exercise is ``<skipped message="scored by hand (N points)">``. Properties
carry score, max_score, manual_points, seed, spec_sha256, gradcheck_version and the
submission, and, when there are any, ``load_error``, ``warnings`` and ``output`` (what the
submission printed while loading); what it printed during an exercise goes to that
testcase's ``<system-out>``.

The file is valid against both the Jenkins xUnit plugin's ``junit-10.xsd`` and Maven
Surefire's ``surefire-test-report.xsd`` (tests validate it against both, checked into
tests/render/xsd/): only the attributes and children both allow, in Surefire's order
(``properties`` before the testcases; no ``system-out`` on the suite), ``time`` in seconds
with 3 decimals. The location of the student's function is in the failure text, as neither
schema has a place for it. Characters XML 1.0 cannot hold and every other control character
(C0, DEL, C1) are removed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from gradcheck.render.common import (
    detail_lines,
    exercise_diagnosis,
    exercise_name,
    fmt_num,
    fmt_points,
    one_line,
    printable,
    worst_point,
)
from gradcheck.results import ERROR, PASS, TIMEOUT, ExerciseResult, SheetResult

_ILLEGAL_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot represent.

    >>> xml_text("ok\\x00\\x1b[31m\\ttab")
    'ok[31m\\ttab'
    """
    return _ILLEGAL_XML.sub("", text)


def _output(text: str) -> str:
    return xml_text(printable(text))


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _outcome(exercise: ExerciseResult) -> str | None:
    if not exercise.automatic:
        return "skipped"
    if exercise.status == PASS:
        return None
    return "error" if exercise.status in (ERROR, TIMEOUT) else "failure"


def _report(exercise: ExerciseResult) -> str:
    line = f"{fmt_points(exercise)} points ({exercise.status})"
    if exercise.checks:
        line += f"; {exercise.points_passed} of {len(exercise.checks)} test points passed"
    lines = [line + "."]
    if exercise.filename:
        where = f"{exercise.student} in " if exercise.student else ""
        where += exercise.filename
        lines.append(where + (f", line {exercise.line_no}" if exercise.line_no else ""))
    if exercise.message:
        lines.append(exercise.message)
    point = worst_point(exercise)
    if point is not None:
        lines.append("Worst test point:")
        lines += detail_lines(point)
    return "\n".join(lines)


def _testcase(suite: ET.Element, result: SheetResult, exercise: ExerciseResult) -> str | None:
    case = ET.SubElement(suite, "testcase", classname=_output(result.sheet),
                         name=_output(exercise_name(exercise)),
                         time=_seconds(exercise.duration))
    outcome = _outcome(exercise)
    if outcome == "skipped":
        ET.SubElement(case, "skipped",
                      message=f"scored by hand ({fmt_num(exercise.points)} points)")
    elif outcome is not None:
        element = ET.SubElement(case, outcome,
                                message=xml_text(one_line(exercise_diagnosis(exercise), 500)),
                                type=exercise.status)
        element.text = _output(_report(exercise))
    if exercise.output:
        ET.SubElement(case, "system-out").text = _output(exercise.output)
    return outcome


def to_junit(result: SheetResult) -> str:
    """The graded sheet as JUnit XML (a string with an UTF-8 XML declaration).

    >>> import xml.etree.ElementTree as ET
    >>> from gradcheck.results import SheetResult
    >>> empty = SheetResult(sheet="s", title="", module="s", submission="s.py", score=0.0,
    ...                     max_score=0.0, manual_points=0.0, seed=1, spec_sha256="ab",
    ...                     gradcheck_version="0.1.0", exercises=())
    >>> ET.fromstring(to_junit(empty).encode()).get("tests")
    '0'
    """
    suite = ET.Element("testsuite", name=_output(result.sheet))
    properties = ET.SubElement(suite, "properties")
    for name, value in (("score", fmt_num(result.score, 6)),
                        ("max_score", fmt_num(result.max_score, 6)),
                        ("manual_points", fmt_num(result.manual_points, 6)),
                        ("seed", str(result.seed)),
                        ("spec_sha256", result.spec_sha256),
                        ("gradcheck_version", result.gradcheck_version),
                        ("submission", result.submission),
                        ("load_error", result.load_error or ""),
                        ("warnings", "\n".join(result.warnings)),
                        ("output", result.output)):
        if value or name not in ("load_error", "warnings", "output"):
            ET.SubElement(properties, "property", name=name, value=_output(value))
    outcomes = [_testcase(suite, result, exercise) for exercise in result.exercises]
    counts = {
        "tests": str(len(outcomes)),
        "failures": str(outcomes.count("failure")),
        "errors": str(outcomes.count("error")),
        "skipped": str(outcomes.count("skipped")),
        "time": _seconds(result.duration),
    }
    for key, value in counts.items():
        suite.set(key, value)
    ET.indent(suite)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(suite, encoding="unicode") + "\n")
