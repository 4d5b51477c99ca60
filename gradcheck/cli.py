"""The ``gradcheck`` command line: thin click commands over the library.

Commands parse options, call the library, pick a renderer, and turn our exceptions into
messages and exit codes here, at the edge: 0 all points, 1 points lost, 2 usage or spec errors.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import click

from gradcheck import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gradcheck")
def main() -> None:
    """Check derivatives of numpy code and grade derivative exercises."""


class _UsageExit(click.ClickException):
    """A usage problem reported without a traceback, exit code 2."""

    exit_code = EXIT_USAGE


def _fail(exc: Exception) -> click.ClickException:
    """Our library errors, shown as one clean message with exit code 2."""
    return _UsageExit(str(exc))


def _load(sheet: str):
    from gradcheck.errors import SpecError
    from gradcheck.spec import load_sheet

    try:
        return load_sheet(sheet)
    except SpecError as exc:
        raise _fail(exc) from None


FORMATS = ("table", "json", "junit", "markdown", "gradescope")


def _min_score(value: str | None) -> tuple[float, bool] | None:
    """``--min-score``: points ("50") or a percentage of the automatic points ("80%")."""
    if value is None:
        return None
    text = value.strip()
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither points (50) nor a percentage (80%)",
                                 param_hint="--min-score") from None
    if number < 0 or (percent and number > 100):
        raise click.BadParameter(f"{value!r} is out of range", param_hint="--min-score")
    return number, percent


def _exit_code(result, min_score: tuple[float, bool] | None) -> int:
    if min_score is None:
        return EXIT_OK if result.passed else EXIT_FAILED
    number, percent = min_score
    needed = number / 100 * result.max_score if percent else number
    return EXIT_OK if result.score >= needed - 1e-9 else EXIT_FAILED


@main.command()
@click.argument("sheet")
@click.option("--submission", "-s", type=click.Path(dir_okay=False),
              help="The file to grade (default: <module>.py, else <module>.ipynb, here).")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="table",
              show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to this file instead of standard output.")
@click.option("--seed", type=int, help="Seed for the random test points (default: the spec's).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
              help="Seconds allowed per call of a student function (default: the spec's, or 5).")
@click.option("--min-score", "min_score",
              help="Exit 0 from this score on: points (50) or percent of the automatic points "
                   "(80%). Default: all automatic points.")
@click.option("--github", is_flag=True,
              help="In GitHub Actions: report points to GitHub Classroom (step output "
                   "`result`), write the job summary and annotations.")
@click.option("--verbose", "-v", is_flag=True, help="Show every test point in the table.")
def grade(sheet, submission, fmt, output, seed, timeout, min_score, github, verbose):
    """Grade a submission of SHEET (a bundled sheet name or a spec file).

    Exit code 0 when every automatic point is scored (or at least --min-score), 1 when points
    are lost, 2 for usage or spec errors and a submission file that does not exist.
    """
    from gradcheck.errors import GradcheckError
    from gradcheck.sandbox import Sandbox

    threshold = _min_score(min_score)
    if github:
        from gradcheck.render.github import require_github

        try:
            require_github(os.environ)
        except GradcheckError as exc:
            raise _fail(exc) from None
    # Start the sandbox first: its zygote imports numpy in the background while the grading
    # modules import, the spec loads and the test points are drawn.
    with Sandbox() as sandbox:
        from gradcheck import grader

        spec = _load(sheet)
        try:
            path = grader.find_submission(spec, submission)
            prepared = grader.prepare(spec, seed, cache=True)
            result = grader.grade(prepared, path, timeout=timeout, sandbox=sandbox)
        except GradcheckError as exc:
            raise _fail(exc) from None
    if github:
        _emit_github(result, verbose)
    if not github or output or fmt != "table":
        _emit(result, fmt, output, verbose)
    sys.exit(_exit_code(result, threshold))


def _emit_github(result, verbose: bool) -> None:
    from gradcheck.render.github import protected_table, write_github
    from gradcheck.render.markdown import to_markdown

    click.echo(protected_table(result, verbose=verbose))
    for line in write_github(result, os.environ, markdown=to_markdown(result)):
        click.echo(line)


def _render_text(result, fmt: str) -> str:
    from gradcheck import render

    return {"json": render.to_json, "junit": render.to_junit, "markdown": render.to_markdown,
            "gradescope": render.to_gradescope}[fmt](result)


def _emit(result, fmt: str, output: str | None, verbose: bool) -> None:
    if fmt != "table":
        text = _render_text(result, fmt)
        if output:
            _write(output, text)
        else:
            click.echo(text.rstrip("\n"))
        return
    from rich.console import Console

    from gradcheck.render.table import print_sheet

    if output:
        with open(os.devnull, "w") as sink:
            console = Console(record=True, width=120, color_system=None, file=sink)
            print_sheet(result, console, verbose=verbose)
        _write(output, console.export_text())
    else:
        print_sheet(result, Console(), verbose=verbose)


def _write(path: str, text: str) -> None:
    Path(path).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


@main.command(name="list")
def list_sheets():
    """List the bundled sheets and their exercises."""
    from rich.console import Console
    from rich.table import Table

    from gradcheck.spec import bundled_sheets, load_sheet

    console = Console()
    for name in bundled_sheets():
        sheet = load_sheet(name)
        table = Table(title=f"{sheet.name} — {sheet.title}", title_justify="left")
        for column in ("exercise", "title", "points", "kind", "student writes"):
            table.add_column(column)
        for e in sheet.exercises:
            table.add_row(e.id, e.title, f"{e.points:g}", e.kind, e.student or "—")
        console.print(table)
        console.print(f"{sheet.max_score:g} automatic points, {sheet.manual_points:g} manual; "
                      f"module {sheet.module}.py or {sheet.module}.ipynb\n")


@main.command()
@click.argument("sheet")
@click.option("--directory", "-d", type=click.Path(file_okay=False), default=".",
              show_default=True, help="Folder to write the template into.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(sheet, directory, force):
    """Write the student template of SHEET (refuses to overwrite an existing file)."""
    from gradcheck.errors import UsageError
    from gradcheck.template import write_template

    spec = _load(sheet)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        path = write_template(spec, folder, force=force)
    except UsageError as exc:
        raise _fail(exc) from None
    click.echo(f"wrote {path}: {len(spec.automatic)} exercises to implement; check your work "
               f"with `gradcheck grade {spec.name}`")


@main.group()
def classroom():
    """GitHub Classroom: set up a template repository."""


@classroom.command(name="init")
@click.argument("sheet")
@click.option("--directory", "-d", type=click.Path(file_okay=False), default=".",
              show_default=True, help="Root of the template repository.")
@click.option("--python", "python_version", default="3.11", show_default=True,
              help="Python version the workflow sets up.")
@click.option("--package-spec", default="gradcheck", show_default=True,
              help="What the workflow pip-installs (pin a version, e.g. gradcheck==0.1.0).")
@click.option("--force", is_flag=True, help="Overwrite an existing workflow.")
def classroom_init(sheet, directory, python_version, package_spec, force):
    """Write .github/workflows/classroom.yml that grades SHEET on every push."""
    from gradcheck.classroom import write_classroom
    from gradcheck.errors import GradcheckError

    _load(sheet)  # the workflow must grade a sheet that exists
    try:
        paths = write_classroom(Path(directory), sheet, python=python_version,
                                package_spec=package_spec, force=force)
    except GradcheckError as exc:
        raise _fail(exc) from None
    for path in paths:
        click.echo(f"wrote {path}")
    click.echo("See docs/classroom.md for the template repository layout and re-grading.")


# --- gradcheck check -------------------------------------------------------------------------


@main.command("check")
@click.argument("function", metavar="FILE.py:FUNC")
@click.argument("derivative", metavar="FILE.py:DERIV")
@click.option("--at", "points", multiple=True, metavar="VALUE",
              help="A point: a number or nested list (JSON or Python literal). When FUNC takes "
                   "several arguments, a list with one entry per argument. Repeatable.")
@click.option("--random", "random_count", type=click.IntRange(min=1), default=None,
              metavar="N", help="Check at N random points (needs --shape).")
@click.option("--shape", "shapes", multiple=True, metavar="3,2",
              help="Shape of the input for --random ('' for a scalar); repeat once per "
                   "argument when FUNC takes several.")
@click.option("--domain", default="-2,2", show_default=True, metavar="LOW,HIGH",
              help="Interval the random entries are drawn from.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the random points and of the random probes.")
@click.option("--wrt", type=int, default=0, show_default=True,
              help="Index of the argument to differentiate with respect to.")
@click.option("--mode", type=click.Choice(["auto", "full", "directional"]), default="auto",
              show_default=True, help="Every entry, or random directions (auto: large inputs).")
@click.option("--rtol", type=float, default=None, help="Relative tolerance (default by dtype).")
def check_command(function: str, derivative: str, points: tuple[str, ...],
                  random_count: int | None, shapes: tuple[str, ...], domain: str, seed: int,
                  wrt: int, mode: str, rtol: float | None) -> None:
    """Check that DERIV is the derivative of FUNC at some points.

    DERIV(*args) must return the derivative of FUNC(*args) with respect to argument --wrt,
    in layout FUNC.shape + x.shape. Exit 0 when every point passes, 1 when one fails, 2 for
    usage errors (or a point where FUNC itself fails).

    \b
    gradcheck check f.py:f f.py:df --at 0.5 --at '[1.0, 2.0]'
    gradcheck check f.py:loss f.py:grad --random 3 --shape 4,2 --domain 0.1,2
    """
    from rich.console import Console
    from rich.panel import Panel
    from rich.text import Text

    from gradcheck.check import check
    from gradcheck.errors import GradcheckError

    modules: dict[str, object] = {}
    f, df = _load_function(function, modules), _load_function(derivative, modules)
    names = _parameters(f)
    if not points and random_count is None:
        raise _UsageExit("give at least one point: --at VALUE or --random N --shape S")
    if not 0 <= wrt < len(names):
        raise _UsageExit(f"--wrt {wrt}: {_short(function)} takes {len(names)} argument(s)")
    arg_sets = [_parse_point(text, len(names)) for text in points]
    shown = [f"{', '.join(names)} = {text}" if len(names) > 1 else f"{names[0]} = {text}"
             for text in points]
    if random_count is not None:
        if len(shapes) != len(names):
            raise _UsageExit(f"give one --shape per argument of {_short(function)} "
                             f"({', '.join(names)})")
        arg_sets += _random_points(random_count, shapes, domain, seed)
        shown += [", ".join(f"{n} = {_show(a)}" for n, a in zip(names, args, strict=True))
                  for args in arg_sets[len(shown):]]
    console = Console(highlight=False)
    failed = unusable = 0
    for number, (args, where) in enumerate(zip(arg_sets, shown, strict=True), 1):
        title = Text(f"point {number}: {where}")
        try:
            result = check(f, df, *args, wrt=wrt, rtol=rtol, mode=mode, seed=seed)
        except Exception as exc:  # not finite / not settling here, or FUNC itself failing
            unusable += 1
            story = str(exc) if isinstance(exc, GradcheckError) else \
                f"{_short(function)} raised {type(exc).__name__}: {exc}"
            console.print(Panel(Text(story), title=title, subtitle="cannot check here",
                                border_style="yellow"))
            continue
        failed += not result.passed
        console.print(Panel(Text(str(result)), title=title, subtitle="PASS" if result.passed
                            else "FAIL", border_style="green" if result.passed else "red"))
    total = len(arg_sets)
    console.print(f"{total - failed - unusable} of {total} points pass")
    click.get_current_context().exit(EXIT_USAGE if unusable else EXIT_FAILED if failed
                                     else EXIT_OK)


def _show(value: object) -> str:
    import numpy as np

    return np.array2string(np.asarray(value), precision=6, separator=", ")


def _short(ref: str) -> str:
    return ref.rpartition(":")[2]


def _load_function(ref: str, modules: dict[str, object]) -> Callable[..., object]:
    """``FILE.py:NAME`` -> the callable, importing the user's file once under a unique name."""
    import importlib.util

    path_text, sep, name = ref.rpartition(":")
    if not sep or not path_text or not name:
        raise _UsageExit(f"expected FILE.py:FUNCTION, got {ref!r}")
    path = Path(path_text)
    if not path.is_file():
        raise _UsageExit(f"file not found: {path}")
    key = str(path.resolve())
    if key not in modules:
        module_name = f"_gradcheck_user_{len(modules)}_{abs(hash(key))}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise _UsageExit(f"cannot import {path}: not a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        sys.path.insert(0, str(path.resolve().parent))
        try:
            spec.loader.exec_module(module)
        except (Exception, SystemExit) as exc:
            raise _UsageExit(f"could not load {path}: {type(exc).__name__}: {exc}") from None
        finally:
            sys.path.remove(str(path.resolve().parent))
        modules[key] = module
    function = getattr(modules[key], name, None)
    if not callable(function):
        defined = sorted(n for n, v in vars(modules[key]).items()
                         if callable(v) and not n.startswith("_")
                         and getattr(v, "__module__", None) == modules[key].__name__)
        hint = f" (it defines: {', '.join(defined)})" if defined else ""
        raise _UsageExit(f"{path} has no function {name!r}{hint}")
    return function


def _parameters(function: Callable[..., object]) -> list[str]:
    """Names of the required positional parameters (one entry when unknown)."""
    import inspect

    try:
        params = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return ["x"]
    names = [p.name for p in params if p.default is p.empty
             and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return names or ["x"]


def _parse_point(text: str, nargs: int) -> list[object]:
    """``--at`` text -> the argument list (JSON or a Python literal, numbers only)."""
    import ast
    import json

    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise _UsageExit(f"--at {text!r}: not a number or a (nested) list of numbers") \
                from None
    if not _numeric(value):
        raise _UsageExit(f"--at {text!r}: not a number or a (nested) list of numbers")
    if nargs == 1:
        return [value]
    if not isinstance(value, (list, tuple)) or len(value) != nargs:
        raise _UsageExit(f"--at {text!r}: the function takes {nargs} arguments; give a list "
                         f"with one entry per argument")
    return list(value)


def _numeric(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(map(_numeric, value))


def _random_points(count: int, shapes: tuple[str, ...], domain: str,
                   seed: int) -> list[list[object]]:
    import numpy as np

    if not shapes:
        raise _UsageExit("--random needs --shape (e.g. --shape 3,2, or --shape '' for a scalar)")
    try:
        parsed = [tuple(int(n) for n in s.replace("(", "").replace(")", "").split(",")
                        if n.strip()) for s in shapes]
        low, high = (float(v) for v in domain.split(","))
    except ValueError:
        raise _UsageExit(f"--shape {shapes!r} / --domain {domain!r}: expected integers like "
                         "3,2 and an interval like -2,2") from None
    if any(n < 1 for shape in parsed for n in shape) or not low < high:
        raise _UsageExit("--shape sizes must be positive and --domain LOW < HIGH")
    rng = np.random.default_rng(seed)
    return [[rng.uniform(low, high, size=shape) for shape in parsed] for _ in range(count)]


# --- gradcheck validate ----------------------------------------------------------------------


@main.command("validate")
@click.argument("sheet", metavar="SPEC_OR_SHEET")
@click.option("--solution", type=click.Path(dir_okay=False),
              help="The reference solution (default: solutions/<module>.py here, else beside "
                   "the spec's folder).")
@click.option("--seed", type=int, help="Seed of the test points (default: the spec's).")
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
    import json

    from gradcheck.errors import GradcheckError
    from gradcheck.sandbox import Sandbox

    with Sandbox() as sandbox:
        from gradcheck import grader, validate

        spec = _load(sheet)
        try:
            path = (validate.find_solution(spec) if solution is None
                    else grader.find_submission(spec, solution))
            report = validate.validate(spec, solution=path, seed=seed, sandbox=sandbox,
                                       searched=validate.solution_candidates(spec))
        except GradcheckError as exc:
            raise _fail(exc) from None
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_validation(report, verbose)
    sys.exit(EXIT_OK if report.passed else EXIT_FAILED)


def _print_validation(report, verbose: bool) -> None:
    from rich.console import Console
    from rich.table import Table

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
        severities = {f.severity for f in e.findings}
        result = "error" if "error" in severities else "warning" if severities else "ok"
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
        console.print(f"[{style}]{finding.severity}[/{style}]", _plain(finding), sep=": ")
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


def _plain(finding):
    from rich.text import Text

    where = f"exercise {finding.exercise}: " if finding.exercise is not None else ""
    return Text(where + finding.message)


# --- gradcheck batch -------------------------------------------------------------------------

EXIT_INTERRUPTED = 130


@main.command("batch")
@click.argument("sheet")
@click.argument("submissions", type=click.Path(exists=True, file_okay=False))
@click.option("--output", "-o", type=click.Path(dir_okay=False), default="grades.csv",
              show_default=True, help="The gradebook CSV (its journal is written beside it).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Grading processes  [default: the number of CPUs]")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
              help="Seconds allowed per call of a student function (default: the spec's, or 5).")
@click.option("--seed", type=int, help="Seed for the random test points (default: the spec's).")
@click.option("--feedback", type=click.Path(file_okay=False),
              help="Write one Markdown feedback file per student into this folder.")
@click.option("--id-column", default="student", show_default=True,
              help="Header of the id column (what the LMS import expects).")
@click.option("--strip-prefix", is_flag=True,
              help="Drop the '<assignment>-' prefix all folder names share from the ids.")
@click.option("--fresh", is_flag=True,
              help="Grade everything again: empty the journal of earlier runs first.")
def batch_command(sheet, submissions, output, jobs, timeout, seed, feedback, id_column,
                  strip_prefix, fresh):
    """Grade every submission in SUBMISSIONS against SHEET: a gradebook CSV, feedback files.

    SUBMISSIONS holds a folder per student (e.g. GitHub Classroom's download) with
    <module>.py or <module>.ipynb, or one .py/.ipynb file per student. Each submission is
    graded in its own sandboxed process; finished ones are saved in a journal at once, so an
    interrupted batch resumes when run again. Exit code 0 when every submission was graded
    (whatever the scores), 1 when some could not be graded, 2 for usage or spec errors,
    130 when interrupted.

    \b
    gradcheck batch sheet01 submissions/ -o grades.csv --feedback feedback/
    """
    from rich.console import Console

    from gradcheck.batch import default_jobs, run_batch
    from gradcheck.errors import GradcheckError
    from gradcheck.render.batch import BatchProgress, print_summary
    from gradcheck.spec import find_spec

    spec = _load(sheet)
    jobs = jobs or default_jobs()
    try:
        with BatchProgress(jobs) as show:
            report = run_batch(spec, find_spec(sheet), submissions, output, seed=seed,
                               timeout=timeout, jobs=jobs, feedback=feedback,
                               id_column=id_column, fresh=fresh, strip_prefix=strip_prefix,
                               on_progress=show)
    except GradcheckError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        click.echo("interrupted: finished submissions are saved in the journal; run the same "
                   "command again to continue", err=True)
        sys.exit(EXIT_INTERRUPTED)
    print_summary(report.summary, Console(highlight=False))
    where = f"wrote {report.gradebook}"
    if feedback:
        where += f" and {len(report.feedback)} feedback files in {feedback}"
    click.echo(where)
    sys.exit(EXIT_FAILED if report.summary.not_graded else EXIT_OK)
