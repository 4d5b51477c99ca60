"""``gradcheck --help`` lists every command with a whole sentence, never one cut with "...",
at the width of a real terminal and of a narrow one."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from gradcheck.cli import main


def summaries(group: click.Group, args: list[str], width: int | None) -> dict[str, str]:
    """The command summaries in the help of ``group``: name -> text (wrapped lines joined)."""
    result = CliRunner().invoke(main, [*args, "--help"], terminal_width=width)
    assert result.exit_code == 0, result.output
    lines = result.output.split("Commands:\n", 1)[1].splitlines()
    found: dict[str, str] = {}
    name = ""
    for line in lines:
        if not line.strip():
            break
        words = line.split(maxsplit=1)
        if line.startswith("  ") and not line.startswith("   ") and words[0] in group.commands:
            name = words[0]
            found[name] = words[1] if len(words) > 1 else ""
        else:
            found[name] += " " + line.strip()
    assert set(found) == set(group.commands), result.output
    return found


@pytest.mark.parametrize("width", [None, 80, 60])
@pytest.mark.parametrize("args", [[], ["classroom"]])
def test_every_command_summary_is_a_whole_sentence(args, width):
    group = main.commands[args[0]] if args else main
    for name, summary in summaries(group, args, width).items():
        assert "..." not in summary and "\u2026" not in summary, (name, summary)
        assert summary[:1].isupper() and summary.endswith("."), (name, summary)
        assert summary.count(". ") == 0, (name, summary)     # one sentence
