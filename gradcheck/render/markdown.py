"""Markdown for ``$GITHUB_STEP_SUMMARY`` and per-student feedback files (readable on GitHub).

Layout: a heading with the sheet and score, a table (exercise, points, status with an
emoji, diagnosis), the total, the manual exercises, one ``<details>`` block per exercise
that lost points (its worst test point: inputs, expected vs received, diagnosis), and what
the submission printed in fenced blocks. Student-controlled text is escaped (table cells,
HTML) or fenced with a fence longer than any backtick run inside it.

GitHub keeps at most 1 MiB of summary per step: the result is cut to ``max_bytes`` (UTF-8),
dropping printed output first and then details, and says so at the end.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from gradcheck.render.common import (
    STATUS_EMOJI,
    exercise_diagnosis,
    exercise_name,
    fmt_num,
    fmt_points,
    one_line,
    point_details,
    point_diagnosis,
    printable,
    total_line,
    worst_point,
)
from gradcheck.render.graph import mermaid
from gradcheck.results import PASS, ExerciseResult, SheetResult

SUMMARY_LIMIT = 1024 * 1024                 # GitHub's limit for one step's job summary
DEFAULT_MAX_BYTES = SUMMARY_LIMIT - 32 * 1024  # leave room for anything else in the summary
OUTPUT_CHARS = 64_000                       # printed output kept per block, at most
CELL_CHARS = 160                            # a diagnosis in the table, at most
_NOTE_RESERVE = 400                         # bytes kept free for the truncation note

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")
# What GitHub turns into a link by itself (the autolink extension: a scheme or www., and
# e-mail addresses); such text is shown as inline code instead. Pipes, backticks and angle
# brackets end a match, so the code span never breaks a table cell or its fence.
_LINKLIKE = re.compile(r"(?i)(?:\b[a-z][a-z0-9+.-]*:/*|\bwww\.)[^\s<>`|]+"
                       r"|[^\s<>`|@()\[\]]+@[^\s<>`|@()\[\]]+\.[^\s<>`|@()\[\]]+")
# Terminal escape sequences (CSI, OSC, two-character ESC sequences, the 8-bit CSI) removed
# whole, so no "[31m" is left behind, and the characters that reorder or hide text.
_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]"
                       r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]")
_BIDI = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def plain_text(text: str) -> str:
    """``text`` without terminal escape sequences (whole), bidirectional and invisible
    formatting characters, and other control characters (:func:`printable`).

    >>> plain_text("\\x1b[31mred\\x1b[0m \\u202eevil\\x1b]8;;http://x\\x07link")
    'red evillink'
    """
    return printable(_BIDI.sub("", _SEQUENCE.sub("", text)))


def _one_line(text: str, limit: int = 120) -> str:
    return one_line(plain_text(text), limit)


def _escape(text: str) -> str:
    return html.escape(_MD_SPECIAL.sub(r"\\\1", text), quote=False)


def md_escape(text: str) -> str:
    """Inline text that Markdown shows literally: emphasis, links, pipes and HTML escaped,
    what GitHub would autolink (URLs, ``www.``, e-mail addresses) shown as code.

    >>> md_escape("a|b <script> *x*")
    'a\\\\|b &lt;script&gt; \\\\*x\\\\*'
    >>> md_escape("see https://evil.example/x or me@evil.example")
    'see `https://evil.example/x` or `me@evil.example`'
    """
    plain = plain_text(text)
    parts, start = [], 0
    for match in _LINKLIKE.finditer(plain):
        parts += [_escape(plain[start:match.start()]), f"`{match.group()}`"]
        start = match.end()
    parts.append(_escape(plain[start:]))
    return "".join(parts)


def md_cell(text: str, limit: int = CELL_CHARS) -> str:
    """One table cell: the first line of ``text``, shortened and escaped."""
    return md_escape(_one_line(text, limit))


def code_span(text: str) -> str:
    """``text`` as inline code, delimited by more backticks than it contains in a row.

    >>> code_span("a`b")
    '``a`b``'
    """
    text = _one_line(text, limit=400)
    run = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (run + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(text: str, info: str = "text") -> str:
    """``text`` in a fenced block whose fence is longer than any backtick run inside it.

    >>> print(code_block("````x"))
    `````text
    ````x
    `````
    """
    text = plain_text(text).rstrip("\n")
    run = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, run + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def _summary(text: str) -> str:
    # <summary> sits in an HTML block, where Markdown escapes do not apply.
    # Link-like text goes into <code> there too.
    plain, parts, start = _one_line(text, 300), [], 0
    for match in _LINKLIKE.finditer(plain):
        parts += [html.escape(plain[start:match.start()], quote=False),
                  f"<code>{html.escape(match.group(), quote=False)}</code>"]
        start = match.end()
    return "".join(parts) + html.escape(plain[start:], quote=False)


def _header(result: SheetResult) -> str:
    lines = [f"# {md_escape(result.sheet)}: {fmt_num(result.score)} / "
             f"{fmt_num(result.max_score)} points", ""]
    if result.title:
        lines += [f"**{md_escape(_one_line(result.title, 300))}**  "]
    lines += [f"submission {code_span(result.submission)} \u00b7 seed {result.seed} "
              f"\u00b7 gradcheck {md_escape(result.gradcheck_version)} "
              f"\u00b7 spec {code_span(result.spec_sha256[:12])}"]
    return "\n".join(lines)


def _problems(result: SheetResult) -> str:
    parts = []
    if result.load_error:
        parts.append("> \u26a0\ufe0f **The submission did not load**, so every exercise "
                     "scores 0 until it does:\n\n" + code_block(result.load_error))
    if result.warnings:
        parts.append("**Warnings**\n\n" + "\n".join(f"- {md_escape(_one_line(w, 500))}"
                                                    for w in result.warnings))
    return "\n\n".join(parts)


def _table(result: SheetResult) -> str:
    rows = ["| Exercise | Points | Status | Diagnosis |", "| --- | ---: | --- | --- |"]
    for ex in result.exercises:
        name = f"**{md_escape(ex.id)}** {md_cell(ex.title, 80)}".rstrip()
        status = f"{STATUS_EMOJI.get(ex.status, '')} {md_escape(ex.status)}".strip()
        rows.append(f"| {name} | {fmt_points(ex)} | {status} | "
                    f"{md_cell(exercise_diagnosis(ex))} |")
    return "\n".join(rows) + f"\n\n**{total_line(result)}**"


def _manual(result: SheetResult) -> str:
    manual = [e for e in result.exercises if not e.automatic]
    if not manual:
        return ""
    lines = ["### Scored by a TA", ""]
    lines += [f"- **{md_escape(e.id)}** {md_escape(_one_line(e.title, 200))} "
              f"({fmt_num(e.points)} points)" for e in manual]
    return "\n".join(lines)


def _details(exercise: ExerciseResult) -> str:
    emoji = STATUS_EMOJI.get(exercise.status, "")
    diagnosis = exercise_diagnosis(exercise)
    summary = f"{emoji} {exercise_name(exercise)} \u2014 {fmt_points(exercise)} points"
    if diagnosis:
        summary += f": {diagnosis}"
    body: list[str] = []
    total = len(exercise.checks)
    if total:
        body.append(f"{exercise.points_passed} of {total} test points passed.")
    point = worst_point(exercise)
    if point is not None:
        body.append("The worst one:")
        items, blocks, inputs = [], [], []
        for label, value in point_details(point):
            if "\n" in value.strip():   # the inputs (a matrix, many of them) lead the rest
                (inputs if label == "inputs" else blocks).append(
                    f"**{md_escape(label)}:**\n\n{code_block(value)}")
            else:
                item = code_span(value) if label == "inputs" else md_escape(value)
                items.append(f"- **{md_escape(label)}:** {item}")
        body.extend(inputs)
        body.append("\n".join(items))
        body.extend(blocks)
    if point is None and diagnosis.strip():
        body.append(code_block(diagnosis) if "\n" in diagnosis.strip() else md_escape(diagnosis))
    elif point is not None and "\n" in diagnosis.strip():
        # The exercise's message is usually the worst point's, shown above, plus a count.
        shown = point_diagnosis(point).strip()
        if not shown or shown not in diagnosis:
            body.append(code_block(diagnosis))
    return (f"<details>\n<summary>{_summary(summary)}</summary>\n\n"
            + "\n\n".join(b for b in body if b) + "\n\n</details>")


def _output_chunks(result: SheetResult) -> list[tuple[str, str]]:
    chunks = []
    if result.output.strip():
        chunks.append((f"Printed by {result.submission} while loading", result.output))
    chunks += [(f"Printed during {e.id}", e.output) for e in result.exercises
               if e.output.strip()]
    return chunks


def _output_block(title: str, text: str, budget: int) -> str | None:
    """A fenced output block of at most ``budget`` bytes, cutting the text if needed."""
    text = plain_text(text).rstrip("\n")
    if len(text) > OUTPUT_CHARS:
        text = text[:OUTPUT_CHARS] + f"\n[... {len(text) - OUTPUT_CHARS} characters cut]"

    def render(body: str) -> str:
        return (f"<details>\n<summary>{_summary(title)}</summary>\n\n"
                f"{code_block(body)}\n\n</details>")

    block = render(text)
    size = len(block.encode())
    if size <= budget:
        return block
    keep = budget - (size - len(text.encode())) - 200   # room for the fence and a cut note
    if keep < 1000:
        return None
    cut = text.encode()[:keep].decode(errors="ignore")
    block = render(cut + f"\n[... {len(text) - len(cut)} characters cut]")
    return block if len(block.encode()) <= budget else None


def _cut(text: str, limit: int) -> str:
    """``text`` cut at a line boundary to at most ``limit`` UTF-8 bytes."""
    data = text.encode()
    if len(data) <= limit:
        return text
    head = data[:limit].decode(errors="ignore")
    return head[: head.rfind("\n") + 1] if "\n" in head else head


def to_markdown(result: SheetResult, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The graded sheet as GitHub-flavoured Markdown of at most ``max_bytes`` UTF-8 bytes.

    >>> from gradcheck.results import SheetResult
    >>> empty = SheetResult(sheet="s", title="", module="s", submission="s.py", score=0.0,
    ...                     max_score=0.0, manual_points=0.0, seed=1, spec_sha256="ab",
    ...                     gradcheck_version="0.1.0", exercises=())
    >>> to_markdown(empty).splitlines()[0]
    '# s: 0 / 0 points'
    """
    essential = [part for part in (_header(result), _problems(result), _table(result),
                                   _manual(result)) if part]
    optional: list[Callable[[int], str | None]] = []
    drawn = [e for e in result.exercises if e.graph]
    if drawn:
        optional.append(lambda budget: "### Computation graphs" if budget > 2000 else None)
        for exercise in drawn:
            optional.append(lambda budget, e=exercise: _fit(_graph(e), budget))
    # When nothing loaded, the load error above already explains every exercise.
    lost = [] if result.load_error else [e for e in result.exercises
                                         if e.automatic and e.status != PASS]
    if lost:
        optional.append(lambda budget: "### What went wrong" if budget > 2000 else None)
        for exercise in lost:
            optional.append(lambda budget, e=exercise: _fit(_details(e), budget))
    chunks = _output_chunks(result)
    if chunks:
        optional.append(lambda budget: "### Output of the submission" if budget > 2000
                        else None)
        for title, text in chunks:
            optional.append(lambda budget, t=title, x=text: _output_block(t, x, budget))

    text = "\n\n".join(essential) + "\n"
    if len(text.encode()) > max_bytes - _NOTE_RESERVE:
        text = _cut(text, max_bytes - _NOTE_RESERVE)
        return text + _note(len(optional) + 1, max_bytes)
    left_out = 0
    for make in optional:
        budget = max_bytes - _NOTE_RESERVE - len(text.encode()) - 1
        block = make(budget) if budget > 0 else None
        if block is None:
            left_out += 1
            continue
        text += "\n" + block + "\n"
    return text + _note(left_out, max_bytes) if left_out else text


def _graph(exercise: ExerciseResult) -> str:
    """A graph exercise's drawing: a Mermaid flowchart, rendered by GitHub."""
    return (f"**{md_escape(exercise.id)}** {md_escape(one_line(exercise.title, 200))}\n\n"
            f"{code_block(mermaid(exercise.graph), info='mermaid')}")


def _fit(block: str, budget: int) -> str | None:
    return block if len(block.encode()) <= budget else None


def _note(left_out: int, max_bytes: int) -> str:
    return (f"\n_{left_out} section(s) left out to keep this page under {max_bytes // 1024} "
            f"KiB; `gradcheck grade --format json` shows everything._\n")
