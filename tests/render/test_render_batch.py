"""The batch summary on the terminal: student text is shown as text, never as rich markup."""

import io

from rich.console import Console

from gradcheck.batch import Row, summarize
from gradcheck.render.batch import print_summary, unrendered_feedback
from gradcheck.spec import load_sheet
from tests.sample_results import load_error_sheet

MARKUP = "[/bold] [link=https://evil.example]click me[/link] [red]"


def render(summary) -> str:
    console = Console(file=io.StringIO(), width=200, color_system="truecolor",
                      force_terminal=True)
    print_summary(summary, console)
    return console.file.getvalue()


def test_markup_in_load_errors_and_ids_stays_text():
    sheet = load_sheet("sheet01")
    rows = [Row(f"[bold]mallory{n}", load_error_sheet(), "load error", f"ValueError: {MARKUP}")
            for n in range(2)]
    rows.append(Row("[red]eve", None, "not graded", MARKUP))
    summary = summarize(sheet, rows, warnings=[f"[b]{MARKUP}"])
    text = render(summary)
    assert text.count("click me[/link]") == 4       # the load errors, not graded, the warning
    assert "[bold]mallory0" in text and "[red]eve" in text
    assert "\x1b]8;" not in text                    # no hyperlink escape was made of it


def test_the_summary_names_the_seed_and_the_sandbox():
    import dataclasses

    summary = dataclasses.replace(summarize(load_sheet("sheet01"), []), seed=1234,
                                  seed_source="drawn", mode="landlock")
    text = render(summary)
    assert "seed 1234 (drawn at random for this batch" in text
    assert "sandbox: landlock" in text


def test_feedback_when_the_renderer_failed():
    text = unrendered_feedback(load_error_sheet(), UnicodeEncodeError("utf-8", "", 0, 1, "x"))
    assert text.startswith("# sheet01: 0 / 12 points") and "UnicodeEncodeError" in text
