"""``gradcheck check FILE:FUNC FILE:DERIV``: check any derivative of your own.

A ``.py`` file is imported here; a notebook (``.ipynb``) is read as ``grade`` reads one and
its functions run in a sandbox worker (``sandbox/remote.py``).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path

import click

from gradcheck.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageExit

MAX_ATOL = 1e6   # gradcheck.check.MAX_ATOL (not imported here: it imports numpy)
A_DAY = 86400.0  # a notebook's worker has no time budget beyond each call's --timeout


@click.command("check", short_help="Check that DERIV is the derivative of FUNC.")
@click.argument("function", metavar="FILE:FUNC")
@click.argument("derivative", metavar="FILE:DERIV")
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
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the random points and of the random probes.")
@click.option("--wrt", type=int, default=0, show_default=True,
              help="Index of the argument to differentiate with respect to.")
@click.option("--mode", type=click.Choice(["auto", "full", "directional"]), default="auto",
              show_default=True, help="Every entry, or random directions (auto: large inputs).")
@click.option("--rtol", type=click.FloatRange(min=0, max=1, min_open=True), default=None,
              callback=lambda ctx, param, value: _finite(value, param),
              help="Relative tolerance, above 0 and at most 1 (default by dtype).")
@click.option("--atol", type=click.FloatRange(min=0, max=MAX_ATOL), default=None,
              callback=lambda ctx, param, value: _finite(value, param),
              help="Absolute tolerance added to every entry, from 0 to 1e6 (default 0).")
@click.option("--timeout", type=click.FloatRange(min=0, max=3600, min_open=True), default=5.0,
              show_default=True, callback=lambda ctx, param, value: _finite(value, param),
              help="Seconds allowed for each call of FUNC or DERIV.")
def check_command(function: str, derivative: str, points: tuple[str, ...],
                  random_count: int | None, shapes: tuple[str, ...], domain: str, seed: int,
                  wrt: int, mode: str, rtol: float | None, atol: float | None,
                  timeout: float) -> None:
    """Check that DERIV is the derivative of FUNC at some points.

    DERIV(*args) must return the derivative of FUNC(*args) with respect to argument --wrt,
    in layout FUNC.shape + x.shape. FILE is a .py file or a notebook (.ipynb, read as grade
    reads it; its functions run in a sandbox worker). Exit 0 when every point passes, 1 when
    one fails, 2 for usage errors (or a point where FUNC itself fails).

    \b
    gradcheck check f.py:f f.py:df --at 0.5 --at '[1.0, 2.0]'
    gradcheck check f.py:loss f.py:grad --random 3 --shape 4,2 --domain 0.1,2
    gradcheck check work.ipynb:f work.ipynb:df --at '[1.0, 2.0]'
    """
    with contextlib.ExitStack() as stack:
        notebooks = _Notebooks(stack, timeout)
        modules: dict[str, object] = {}
        f, df = (_load(ref, modules, notebooks, timeout) for ref in (function, derivative))
        _check_points(f, df, function, points, random_count, shapes, domain, seed, wrt, mode,
                      rtol, atol, modules)


def _check_points(f, df, function, points, random_count, shapes, domain, seed, wrt, mode,
                  rtol, atol, modules) -> None:
    from rich.console import Console
    from rich.panel import Panel
    from rich.text import Text

    from gradcheck.check import check

    names = _parameters(f)
    if not points and random_count is None:
        raise UsageExit("give at least one point: --at VALUE or --random N --shape S")
    if shapes and random_count is None:
        raise UsageExit("--shape is for --random N (the shapes of random points); "
                        "--at points have their own shape")
    if not 0 <= wrt < len(names):
        raise UsageExit(f"--wrt {wrt}: {_short(function)} takes {len(names)} argument(s)")
    arg_sets = [_parse_point(text, len(names)) for text in points]
    shown = [f"{', '.join(names)} = {text}" if len(names) > 1 else f"{names[0]} = {text}"
             for text in points]
    if random_count is not None:
        if len(shapes) != len(names):
            raise UsageExit(f"give one --shape per argument of {_short(function)} "
                             f"({', '.join(names)})")
        arg_sets += _random_points(random_count, shapes, domain, seed)
        shown += [", ".join(f"{n} = {_show(a)}" for n, a in zip(names, args, strict=True))
                  for args in arg_sets[len(shown):]]
    console = Console(highlight=False)
    failed = unusable = 0
    user_files = {str(Path(getattr(m, "__file__", "") or "").resolve())
                  for m in modules.values()}
    for number, (args, where) in enumerate(zip(arg_sets, shown, strict=True), 1):
        status, text = _outcome(
            lambda args=args: check(f, df, *args, wrt=wrt, rtol=rtol, atol=atol, mode=mode,
                                    seed=seed),
            _short(function), user_files)
        failed += status == "FAIL"
        unusable += status not in ("PASS", "FAIL")
        # the point goes inside the panel, where it is not cut short as in a title
        console.print(Panel(Text(f"{where}\n{text}"), title=Text(f"point {number}"),
                            subtitle=status, border_style=STYLES.get(status, "yellow")))
    total = len(arg_sets)
    passed = total - failed - unusable
    console.print(f"{passed} of {total} point{'' if total == 1 else 's'} "
                  f"pass{'es' if passed == 1 else ''}")
    click.get_current_context().exit(EXIT_USAGE if unusable else EXIT_FAILED if failed
                                     else EXIT_OK)


STYLES = {"PASS": "green", "FAIL": "red"}   # anything else: yellow


def _outcome(run: Callable[[], object], name: str, user_files: set[str]) -> tuple[str, str]:
    """``(status, text)`` of checking one point: PASS or FAIL with the result; "cannot check
    here" when the point cannot be checked (gradcheck says why, or FUNC raised); "internal
    error" for an exception of gradcheck itself."""
    from gradcheck.errors import GradcheckError

    try:
        result = run()
    except GradcheckError as exc:  # not finite, not differentiable, not settling here
        return "cannot check here", str(exc)
    except _TimedOut as exc:
        return "cannot check here", str(exc)
    except Exception as exc:
        if _raised_in(exc, user_files):
            return "cannot check here", f"{name} raised {type(exc).__name__}: {exc}"
        return "internal error", (f"gradcheck failed: {type(exc).__name__}: {exc} (an error "
                                  "in gradcheck itself, not in your code; please report it)")
    if getattr(result, "code", "") in ("undecided", "not-differentiable"):  # no verdict here
        return "cannot check here", getattr(result, "diagnosis", "")
    return ("PASS" if result.passed else "FAIL"), str(result)


def _finite(value: float | None, param: click.Parameter) -> float | None:
    import math

    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a finite number", param=param)
    return value


class _TimedOut(BaseException):
    """A call of the user's function ran past --timeout (a BaseException: the checker turns
    an Exception raised by DERIV into a failed result, a timeout must stop the point)."""


def _limited(function: Callable[..., object], name: str,
             seconds: float) -> Callable[..., object]:
    """``function`` stopped after ``seconds`` by SIGALRM (Unix, main thread; elsewhere it
    runs unlimited)."""
    import functools
    import signal
    import threading

    if not hasattr(signal, "setitimer") or threading.current_thread() is not \
            threading.main_thread():
        return function

    def expire(signum, frame):
        raise _TimedOut(f"{name} did not finish within {seconds:g} s (--timeout)")

    @functools.wraps(function)
    def limited(*args, **kwargs):
        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return function(*args, **kwargs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    return limited


def _raised_in(exc: BaseException, files: set[str]) -> bool:
    """Whether the traceback of ``exc`` passes through one of the user's ``files``."""
    tb = exc.__traceback__
    while tb is not None:
        if str(Path(tb.tb_frame.f_code.co_filename).resolve()) in files:
            return True
        tb = tb.tb_next
    return False


def _show(value: object) -> str:
    import numpy as np

    return np.array2string(np.asarray(value), precision=6, separator=", ")


def _short(ref: str) -> str:
    return ref.rpartition(":")[2]


def _split(ref: str) -> tuple[Path, str]:
    path_text, sep, name = ref.rpartition(":")
    if not sep or not path_text or not name:
        raise UsageExit(f"expected FILE.py:FUNCTION or FILE.ipynb:FUNCTION, got {ref!r}")
    path = Path(path_text)
    if not path.is_file():
        raise UsageExit(f"file not found: {path}")
    return path, name


def _load(ref: str, modules: dict[str, object], notebooks: _Notebooks,
          timeout: float) -> Callable[..., object]:
    """``FILE:NAME`` -> a callable: from a notebook, run in a sandbox worker (each call
    bounded there); from a .py file, imported here and bounded by SIGALRM."""
    path, name = _split(ref)
    if path.suffix.lower() == ".ipynb":
        return notebooks.function(path, name)
    return _limited(_load_function(ref, modules), name, timeout)


class _Notebooks:
    """The notebooks named on the command line, each loaded once in a sandbox worker that
    lives as long as ``stack``."""

    def __init__(self, stack: contextlib.ExitStack, timeout: float):
        self.stack = stack
        self.timeout = timeout
        self.sandbox = None
        self.sessions: dict[str, object] = {}

    def function(self, path: Path, name: str) -> Callable[..., object]:
        from gradcheck.errors import GradcheckError
        from gradcheck.sandbox import Limits, Sandbox
        from gradcheck.sandbox.remote import RemoteFunction

        key = str(path.resolve())
        if key not in self.sessions:
            try:
                if self.sandbox is None:
                    self.sandbox = self.stack.enter_context(Sandbox(limits=Limits(
                        call_timeout=self.timeout, session_timeout=A_DAY)))
                session = self.stack.enter_context(self.sandbox.open(path))
            except GradcheckError as exc:
                raise UsageExit(f"could not load {path}: {exc}") from None
            if not session.load.ok:
                raise UsageExit(f"could not load {path}: {session.load.error}")
            for warning in session.load.warnings:
                click.echo(f"{path.name}: {warning}", err=True)
            self.sessions[key] = session
        session = self.sessions[key]
        defs = session.load.defs
        if defs.get(name, {}).get("kind") != "function":
            defined = sorted(n for n, d in defs.items()
                             if d.get("kind") == "function" and not n.startswith("_"))
            hint = f" (it defines: {', '.join(defined)})" if defined else ""
            raise UsageExit(f"{path} has no function {name!r}{hint}")
        return RemoteFunction(session, name, timeout=self.timeout)


def _load_function(ref: str, modules: dict[str, object]) -> Callable[..., object]:
    """``FILE.py:NAME`` -> the callable, importing the user's file once under a unique name."""
    import importlib.util

    path, name = _split(ref)
    key = str(path.resolve())
    if key not in modules:
        module_name = f"_gradcheck_user_{len(modules)}_{abs(hash(key))}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise UsageExit(f"cannot import {path}: not a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        sys.path.insert(0, str(path.resolve().parent))
        try:
            spec.loader.exec_module(module)
        except (Exception, SystemExit) as exc:
            raise UsageExit(f"could not load {path}: {type(exc).__name__}: {exc}") from None
        finally:
            sys.path.remove(str(path.resolve().parent))
        modules[key] = module
    function = getattr(modules[key], name, None)
    if not callable(function):
        defined = sorted(n for n, v in vars(modules[key]).items()
                         if callable(v) and not n.startswith("_")
                         and getattr(v, "__module__", None) == modules[key].__name__)
        hint = f" (it defines: {', '.join(defined)})" if defined else ""
        raise UsageExit(f"{path} has no function {name!r}{hint}")
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
            raise UsageExit(f"--at {text!r}: not a number or a (nested) list of numbers") \
                from None
    if not _numeric(value):
        raise UsageExit(f"--at {text!r}: not a number or a (nested) list of numbers")
    if nargs == 1:
        return [_array(value)]
    if not isinstance(value, (list, tuple)) or len(value) != nargs:
        raise UsageExit(f"--at {text!r}: the function takes {nargs} arguments; give a list "
                         f"with one entry per argument")
    return [_array(v) for v in value]


def _array(value: object) -> object:
    """A (nested) list as a numpy array (integers stay integers); a number as it is."""
    import numpy as np

    if not isinstance(value, (list, tuple)):
        return value
    try:
        return np.array(value)
    except ValueError:
        raise UsageExit(f"--at: {value!r} is a ragged list, not an array") from None


def _numeric(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(map(_numeric, value))


def _random_points(count: int, shapes: tuple[str, ...], domain: str,
                   seed: int) -> list[list[object]]:
    import numpy as np

    parsed = []
    for text in shapes:
        try:
            parsed.append(tuple(int(n) for n in text.replace("(", "").replace(")", "")
                                .split(",") if n.strip()))
        except ValueError:
            raise UsageExit(f"--shape {text!r}: expected integers like 3,2 (or '' for a "
                            "scalar)") from None
        if any(n < 1 for n in parsed[-1]):
            raise UsageExit(f"--shape {text!r}: sizes must be positive")
    try:
        low, high = (float(v) for v in domain.split(","))
    except ValueError:
        raise UsageExit(f"--domain {domain!r}: expected an interval like -2,2") from None
    if not low < high:
        raise UsageExit(f"--domain {domain!r}: LOW must be below HIGH")
    rng = np.random.default_rng(seed)
    return [[rng.uniform(low, high, size=shape) for shape in parsed] for _ in range(count)]
