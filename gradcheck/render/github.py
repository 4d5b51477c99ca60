"""GitHub Actions and GitHub Classroom: step output, job summary, annotations, safe logs.

``gradcheck grade sheet01 --github`` writes ``result=<base64 JSON>`` to ``$GITHUB_OUTPUT``
in the shape classroom-resources/autograding-grading-reporter reads: it takes the env
variable ``<RUNNER>_RESULTS`` (runner id upper-cased, so ``GRADCHECK_RESULTS`` for
``runners: gradcheck``), base64-decodes it, JSON-parses it, adds up ``tests[].score`` and
``max_score`` for the points it reports to Classroom (fractions kept), and fails the job when
``status`` is ``"fail"`` or ``"error"``. Its log shows each test's ``name`` and, for a
test that did not pass, ``message``.

Student-controlled text never reaches the log where the runner would read it as a
workflow command: messages have any line that starts with ``::`` (and any ``##[``)
defused, annotation properties and data are escaped as ``@actions/core`` does, and
:func:`protect_log` wraps whole blocks in ``::stop-commands::<random token>``.
"""

from __future__ import annotations

import base64
import io
import math
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console

from gradcheck.errors import UsageError
from gradcheck.render.common import (
    detail_lines,
    exercise_diagnosis,
    exercise_name,
    fmt_points,
    one_line,
    printable,
    shorten,
    worst_point,
)
from gradcheck.render.markdown import SUMMARY_LIMIT
from gradcheck.render.reporter import reporter_scores
from gradcheck.render.table import print_sheet
from gradcheck.results import ERROR, PASS, TIMEOUT, ExerciseResult, SheetResult
from gradcheck.results.jsondata import strict_json

OUTPUT_NAME = "result"           # the step output holding the base64 JSON
MAX_ANNOTATIONS = 10
# The reporter receives the result through an environment variable; Linux limits one
# variable to 128 KiB, so the encoded result is kept well below that.
MAX_ENCODED = 96 * 1024
_MESSAGE_CAPS = (1500, 400, 100, 0)


# -- workflow commands -------------------------------------------------------------------

def escape_data(text: str) -> str:
    """A workflow command's message, escaped as ``@actions/core`` does.

    >>> escape_data("50%\\r\\nnext")
    '50%25%0D%0Anext'
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command property value (``file=``, ``title=``): also ``:`` and ``,``.

    >>> escape_property("1b: a, b")
    '1b%3A a%2C b'
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def neutralise_commands(text: str) -> str:
    """``text`` in which no line can be read as a workflow command.

    The runner takes a line as a command when, stripped, it starts with ``::``, and
    (old syntax) when it contains ``##[``; carriage returns also end lines there. Such
    lines keep their text with the colons and hashes separated.

    >>> neutralise_commands("ok\\n  ::add-mask::x\\r::error::y ##[warning]z")
    'ok\\n  : :add-mask::x\\n: :error::y # #[warning]z'
    """
    lines = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = line.lstrip()
        if stripped.startswith("::"):
            line = line[: len(line) - len(stripped)] + ": :" + stripped[2:]
        lines.append(line.replace("##[", "# #["))
    return "\n".join(lines)


def protect_log(text: str, *, token: str | None = None) -> str:
    """``text`` wrapped so the Actions runner executes no workflow command inside it.

    The block starts with ``::stop-commands::<token>`` and ends with ``::<token>::``; the
    token is random (``secrets.token_hex``), and lines inside that look like commands are
    defused as well, so guessing the token wins nothing.

    >>> print(protect_log("::error::fake", token="t0"))
    ::stop-commands::t0
    : :error::fake
    ::t0::
    """
    body = neutralise_commands(printable(text).rstrip("\n"))
    token = token or secrets.token_hex(16)
    return f"::stop-commands::{token}\n{body}\n::{token}::"


def protected_table(result: SheetResult, *, verbose: bool = False, width: int = 120) -> str:
    """The terminal table as plain text inside a :func:`protect_log` block, for the log of
    an Actions step (the table quotes messages and, verbose, output the student controls).

    >>> from gradcheck.results import SheetResult
    >>> empty = SheetResult(sheet="s", title="", module="s", submission="s.py", score=0.0,
    ...                     max_score=0.0, manual_points=0.0, seed=1, spec_sha256="",
    ...                     gradcheck_version="0.1.0", exercises=())
    >>> protected_table(empty).splitlines()[-2]
    'Total 0/0 automatic points'
    """
    console = Console(file=io.StringIO(), width=width, color_system=None,
                      force_terminal=False)
    print_sheet(result, console, verbose=verbose)
    return protect_log(console.file.getvalue())


# -- paths -------------------------------------------------------------------------------

def _repo_path(path: str | None, workspace: str | None) -> str | None:
    """``path`` relative to the checked-out repository, or None when it lies elsewhere."""
    if not path:
        return None
    if os.path.isabs(path):
        if not workspace:
            return None
        relative = os.path.relpath(path, workspace)
        if relative.startswith(".."):
            return None
        path = relative
    return Path(path).as_posix()


def _location(result: SheetResult, exercise: ExerciseResult | None,
              workspace: str | None) -> tuple[str | None, int | None]:
    if exercise is not None:
        own = _repo_path(exercise.filename, workspace)
        if own:
            return own, exercise.line_no
    return _repo_path(result.submission, workspace), None


# -- the reporter's result ---------------------------------------------------------------

def _number(value: float) -> float | int:
    return int(value) if math.isfinite(value) and value.is_integer() else value


def _test_status(status: str) -> str:
    if status == PASS:
        return "pass"
    return "error" if status in (ERROR, TIMEOUT) else "fail"


def _message(exercise: ExerciseResult, cap: int) -> str:
    # The reporter prints only the message of a test with status "error": it names the
    # exercise itself.
    lead = f"{exercise.id}: " if _test_status(exercise.status) == "error" else ""
    lines = [f"{lead}{fmt_points(exercise)} points ({exercise.status})"]
    if exercise.checks:
        lines[0] += f"; {exercise.points_passed} of {len(exercise.checks)} test points passed"
    diagnosis = exercise_diagnosis(exercise)
    if diagnosis:
        lines.append(printable(diagnosis))
    point = worst_point(exercise)
    if point is not None:
        lines.append("Worst test point:")
        lines += [printable(line) for line in detail_lines(point)]
    return neutralise_commands(shorten("\n".join(lines), cap)) if cap else ""


def classroom_result(result: SheetResult, *, message_chars: int = _MESSAGE_CAPS[0],
                     workspace: str | None = None) -> dict[str, Any]:
    """The grading-reporter result: one test per automatic exercise.

    ``status`` is ``"error"`` when the submission did not load, ``"pass"`` when every
    automatic point was earned, else ``"fail"``; ``max_score`` counts automatic points.
    The scores are chosen (:func:`gradcheck.render.reporter.reporter_scores`) so that the
    reporter's float sum prints the total of gradcheck's table (``63.67``, not
    ``63.666666666666664``).

    >>> from gradcheck.results import SheetResult
    >>> empty = SheetResult(sheet="s", title="", module="s", submission="s.py", score=0.0,
    ...                     max_score=0.0, manual_points=0.0, seed=1, spec_sha256="ab",
    ...                     gradcheck_version="0.1.0", exercises=())
    >>> classroom_result(empty)
    {'version': 1, 'status': 'pass', 'max_score': 0, 'tests': []}
    """
    tests = []
    automatic = result.automatic
    scores = [e.score for e in automatic]
    if all(math.isfinite(v) for v in (*scores, result.score)):
        scores = reporter_scores(scores, result.score)
    for exercise, score in zip(automatic, scores, strict=True):
        filename, line_no = _location(result, exercise, workspace)
        tests.append({
            "name": neutralise_commands(exercise_name(exercise)),
            "status": _test_status(exercise.status),
            "score": _number(score),
            "message": _message(exercise, message_chars),
            "test_code": f"gradcheck grade {result.sheet} \u2014 exercise {exercise.id}",
            "filename": filename or "",
            "line_no": line_no or 0,
            "duration": exercise.duration,
        })
    if result.load_error:
        status = "error"
    else:
        status = "pass" if all(e.status == PASS for e in result.automatic) else "fail"
    return {"version": 1, "status": status, "max_score": _number(result.max_score),
            "tests": tests}


def encoded_result(result: SheetResult, *, workspace: str | None = None) -> str:
    """:func:`classroom_result` as base64 of compact UTF-8 JSON (no newlines).

    Messages are shortened as far as needed to keep it under ``MAX_ENCODED`` bytes.
    """
    for cap in _MESSAGE_CAPS:
        data = strict_json(classroom_result(result, message_chars=cap, workspace=workspace),
                           separators=(",", ":"), ensure_ascii=False)
        encoded = base64.b64encode(data.encode()).decode("ascii")
        if len(encoded) <= MAX_ENCODED:
            break
    return encoded


# -- annotations ---------------------------------------------------------------------------

def _annotation(file: str | None, line: int | None, title: str, message: str) -> str:
    props = []
    if file:
        props.append(f"file={escape_property(file)}")
        if line:
            props.append(f"line={line}")
    props.append(f"title={escape_property(shorten(one_line(title, 200), 200))}")
    return f"::error {','.join(props)}::{escape_data(shorten(printable(message), 4000))}"


def annotation_lines(result: SheetResult, *, workspace: str | None = None,
                     limit: int = MAX_ANNOTATIONS) -> list[str]:
    """At most ``limit`` ``::error`` commands: the load error, then each exercise that lost
    points, at the student's function when its file is in the repository.

    >>> from gradcheck.results import SheetResult
    >>> broken = SheetResult(sheet="s", title="", module="s", submission="s.py", score=0.0,
    ...                      max_score=2.0, manual_points=0.0, seed=1, spec_sha256="ab",
    ...                      gradcheck_version="0.1.0", exercises=(), load_error="bad: x")
    >>> annotation_lines(broken)
    ['::error file=s.py,title=The submission did not load::bad: x']
    """
    lines = []
    if result.load_error:
        file, _ = _location(result, None, workspace)
        lines.append(_annotation(file, None, "The submission did not load", result.load_error))
    for exercise in result.automatic:
        if exercise.status == PASS or result.load_error:
            continue
        file, line = _location(result, exercise, workspace)
        title = f"{exercise_name(exercise)} ({fmt_points(exercise)} points)"
        lines.append(_annotation(file, line, title, _message(exercise, 2000)))
    return lines[:limit]


# -- writing the files ---------------------------------------------------------------------

def _append(path: Path, text: str, variable: str) -> None:
    if not path.is_file():
        raise UsageError(f"{variable} is {str(path)!r}, which is not a file; --github writes "
                         "there and runs only in the GitHub Actions step that provides it")
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            if f.tell():
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    text = "\n" + text
        with path.open("a", encoding="utf-8", newline="") as f:
            f.write(text)
    except OSError as error:
        raise UsageError(f"cannot write {variable} ({path}): {error.strerror}") from error


def _fit_summary(markdown: str, budget: int) -> str:
    data = markdown.encode()
    if len(data) <= budget:
        return markdown
    note = "\n\n_The summary was cut here: GitHub keeps at most 1 MiB per step._\n"
    head = data[: max(budget - len(note.encode()), 0)].decode(errors="ignore")
    head = head[: head.rfind("\n") + 1] if "\n" in head else ""
    return head + note if head else ""


def require_github(environ: Mapping[str, str]) -> Path:
    """The ``$GITHUB_OUTPUT`` file, or :class:`UsageError` saying why ``--github`` cannot
    work here (also when ``$GITHUB_STEP_SUMMARY`` is set but not a file). Call it before
    grading to fail fast; :func:`write_github` calls it too.

    >>> require_github({"GITHUB_ACTIONS": "true"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    gradcheck.errors.UsageError: --github needs GITHUB_OUTPUT...
    """
    if environ.get("GITHUB_ACTIONS") != "true":
        raise UsageError("--github works only inside a GitHub Actions job (GITHUB_ACTIONS="
                         "true, GITHUB_OUTPUT set); elsewhere use --format json or markdown")
    output = environ.get("GITHUB_OUTPUT")
    if not output:
        raise UsageError("--github needs GITHUB_OUTPUT, the step-output file GitHub Actions "
                         "provides to each step, but it is not set")
    path = Path(output)
    if not path.is_file():
        raise UsageError(f"GITHUB_OUTPUT is {output!r}, which is not a file; --github writes "
                         "there and runs only in the GitHub Actions step that provides it")
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary and not Path(summary).is_file():
        raise UsageError(f"GITHUB_STEP_SUMMARY is {summary!r}, which is not a file; --github "
                         "appends the job summary there (unset it to go without one)")
    return path


def write_github(result: SheetResult, environ: Mapping[str, str], *, markdown: str) -> list[str]:
    """Publish a graded sheet to GitHub Actions; return the annotation lines to print.

    Appends ``result=<base64 JSON>`` (:func:`encoded_result`) to ``$GITHUB_OUTPUT`` and
    ``markdown`` to ``$GITHUB_STEP_SUMMARY`` when that is set (cut so the step's summary
    stays under 1 MiB). Raises :class:`UsageError` outside GitHub Actions
    (``GITHUB_ACTIONS`` is not ``"true"`` or ``GITHUB_OUTPUT`` is missing), and when a file
    it writes is not a file or cannot be written.

    >>> write_github(None, {}, markdown="")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    gradcheck.errors.UsageError: --github works only inside a GitHub Actions job...
    """
    output = require_github(environ)
    workspace = environ.get("GITHUB_WORKSPACE")
    _append(output, f"{OUTPUT_NAME}={encoded_result(result, workspace=workspace)}\n",
            "GITHUB_OUTPUT")
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        path = Path(summary)
        used = path.stat().st_size if path.is_file() else 0
        text = _fit_summary(markdown.rstrip("\n") + "\n", SUMMARY_LIMIT - used - 2)
        if text:
            _append(path, text, "GITHUB_STEP_SUMMARY")
    return annotation_lines(result, workspace=workspace)
