"""``gradcheck validate``: prove a spec separates right answers from wrong ones."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gradcheck.cli.common import EXIT_FAILED, EXIT_OK, UsageExit, fail, load_spec


@click.command("validate", short_help="Prove that a spec tells right answers from wrong.")
@click.argument("sheet", metavar="SPEC_OR_SHEET")
@click.option("--solution", type=click.Path(dir_okay=False),
              help="The reference solution (default: solutions/<module>.py here, else beside "
                   "the spec's folder).")
@click.option("--seed", type=click.IntRange(min=0),
              help="Seed of the test points (default: the spec's).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--verbose", "-v", is_flag=True, help="List every mutant of every exercise.")
def validate_command(sheet, solution, seed, fmt, verbose):
    """Self-test a spec: its points, its reference solution, and typical wrong answers.

    Checks that the spec parses, that every test point can be graded (finite differences
    agree with the reference derivative, few random draws are redrawn), that the reference
    solution scores full marks, and that generated wrong answers (sign flipped, factor 2 and
    1/2, transposed, a difference quotient, a zeroed entry, a wrong input, a parameter
    taken as 1 or 0) lose points wherever they differ from the truth. Exit code 0 when all
    of that holds, 1 when something fails, 2 for usage errors and specs that do not load.
    See docs/validate.md.
    """
    from gradcheck.errors import GradcheckError
    from gradcheck.results.jsondata import strict_json
    from gradcheck.sandbox import Sandbox

    with Sandbox() as sandbox:
        from gradcheck.grading import grader, validate

        spec = load_spec(sheet)
        if solution is not None and not Path(solution).is_file():
            raise UsageExit(f"solution {solution} does not exist")
        try:
            path = (validate.find_solution(spec) if solution is None
                    else grader.find_submission(spec, solution))
            report = validate.validate(spec, solution=path, seed=seed, sandbox=sandbox,
                                       searched=validate.solution_candidates(spec))
        except GradcheckError as exc:
            raise fail(exc) from None
    if fmt == "json":
        click.echo(strict_json(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_validation(report, verbose)
    sys.exit(EXIT_OK if report.passed else EXIT_FAILED)


def _print_validation(report, verbose: bool) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    table = Table(title=f"validate {report.sheet} — {report.title}", title_justify="left",
                  caption=f"spec {report.spec} · solution {report.solution or '—'} · seed "
                          f"{report.seed}", caption_justify="left")
    for column in ("Ex.", "Points", "Test points", "Redrawn", "Solution", "Mutants", "Result"):
        table.add_column(column, justify="right" if column in ("Points", "Test points",
                                                               "Redrawn") else "left")
    for e in report.exercises:
        verdicts = [m.verdict for m in e.mutants]
        mutants = ", ".join(f"{verdicts.count(v)} {v}" for v in ("caught", "equivalent",
                                                                 "missed") if v in verdicts)
        result = "error" if not e.passed else "warning" if e.findings else "ok"
        style = {"error": "red", "warning": "yellow", "ok": "green"}[result]
        table.add_row(e.id, f"{e.points:g}", str(e.test_points),
                      str(sum(e.rejected.values())),
                      "—" if e.score is None else f"{e.score:g}/{e.points:g}", mutants or "—",
                      f"[{style}]{result}[/{style}]")
    console.print(table)
    if verbose:
        for e in report.exercises:
            for reason, count in e.rejected.items():
                console.print(f"  {e.id}: {count} random draw(s) redrawn: {reason}")
            for m in e.mutants:
                console.print(f"  {e.id}: {m.name}: {m.verdict} ({m.caught} of {m.points} "
                              "test points lose points)")
    for finding in report.all_findings:
        style = "red" if finding.severity == "error" else "yellow"
        console.print(Text(str(finding), style=style))
    caught = sum(m.verdict == "caught" for e in report.exercises for m in e.mutants)
    total = sum(len(e.mutants) for e in report.exercises)
    summary = (f"{len(report.exercises)} exercises, {caught} of {total} mutants caught (the "
               f"others equal the truth), {report.duration:.1f} s")
    if report.passed:
        console.print(f"[green]spec {report.sheet} passes validation[/green]: {summary}"
                      + (f", {len(report.warnings)} warning(s)" if report.warnings else ""))
    else:
        console.print(f"[red]spec {report.sheet} FAILS validation[/red]: "
                      f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)")
