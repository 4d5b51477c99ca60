"""Loading a submission in the worker and calling into it.

Part of the standalone worker (standard library + numpy, never imports ``gradcheck``).

- :class:`Submission` runs a ``.py`` file as a module, or the code cells of an ``.ipynb``
  notebook in order in one module namespace (IPython magics and shell lines dropped and
  reported, IPython's ``display`` provided, a failing cell becomes a warning), lists what it
  defines, and calls functions and node classes.
- Every answer is converted in the child (``values``, handed in) to
  plain float64 arrays; anything else is ``invalid`` with a message that says what came back.
"""

from __future__ import annotations

import ast
import inspect
import io
import linecache
import re
import sys
import tokenize
import traceback
import types

from . import notebook
from .imports import ForbiddenImport, ImportGuard

MAX_MESSAGE = 2000        # characters of an exception message kept
MAX_FRAMES = 20           # student frames kept in a traceback
MAX_DEFS = 1000           # top-level names listed after loading
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")   # PEP 263


def _top_level_lines(tree: ast.Module) -> dict[str, int]:
    lines: dict[str, int] = {}

    def visit(statements):
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                lines[node.name] = node.lineno
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            lines[name.id] = node.lineno
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    lines[(alias.asname or alias.name).partition(".")[0]] = node.lineno
            elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    visit(getattr(node, field, []) or [])
            elif isinstance(node, ast.ExceptHandler):
                visit(node.body)

    visit(tree.body)
    return lines


def source_text(source: bytes, filename: str) -> tuple[str, str]:
    r"""``(text, "")`` of a Python file decoded as Python decodes it (a BOM, a PEP 263 coding
    line in the first two lines, else UTF-8), or ``("", problem)`` naming the line.

    >>> source_text("# -*- coding: latin-1 -*-\nname = 'Jürgen'\n".encode("latin-1"), "a.py")
    ("# -*- coding: latin-1 -*-\nname = 'Jürgen'\n", '')
    >>> print(source_text(b"x = 1\n# J\xfcrgen\n", "a.py")[1])  # doctest: +ELLIPSIS
    a.py, line 2: not UTF-8 text (byte 0xfc); save the file as UTF-8, or declare ...
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    except SyntaxError as exc:
        text = str(exc)
        if "unknown encoding" in text:
            declared = text.rpartition(":")[2].strip()
            return "", (f"{filename}, line {_cookie_line(source)}: the coding line declares "
                        f"{declared!r}, which Python does not know")
        encoding = "utf-8"   # a bad byte in the first two lines: reported below, by line
    try:
        return source.decode("utf-8-sig" if encoding == "utf-8-sig" else encoding), ""
    except UnicodeDecodeError as exc:
        line = source.count(b"\n", 0, exc.start) + 1
        byte = source[exc.start:exc.start + 1].hex()
        hint = ("save the file as UTF-8, or declare its encoding in the first line, e.g. "
                "`# -*- coding: latin-1 -*-`") if encoding.startswith("utf") else \
            f"the file is not {encoding} as its coding line says"
        return "", f"{filename}, line {line}: not {encoding.upper()} text (byte 0x{byte}); {hint}"
    except LookupError as exc:
        return "", f"{filename}, line {_cookie_line(source)}: {exc}"


def _cookie_line(source: bytes) -> int:
    """The line (1 or 2) of the coding declaration, by PEP 263's pattern."""
    for number, line in enumerate(source.splitlines()[:2], start=1):
        if _COOKIE.match(line):
            return number
    return 1


def _params(obj) -> list[str] | None:
    """The parameters as written: ``["x", "scale=", "*args", "**kwargs"]`` (``=``: it has a
    default; a bare ``*`` before keyword-only parameters when there is no ``*args``)."""
    try:
        signature = inspect.signature(obj)
    except Exception:  # noqa: BLE001 - builtins and odd callables have none
        return None
    prefix = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}
    params = []
    for p in signature.parameters.values():
        if p.kind == p.KEYWORD_ONLY and not any(n.startswith("*") for n in params):
            params.append("*")
        params.append(prefix.get(p.kind, "") + p.name + ("=" if p.default is not p.empty
                                                          else ""))
    return params


def _describe_definition(value) -> dict:
    if isinstance(value, type):
        methods = sorted(n for n, v in vars(value).items()
                         if isinstance(n, str) and not n.startswith("__") and callable(v))
        return {"kind": "class", "params": _params(value), "methods": methods}
    if callable(value):
        return {"kind": "function", "params": _params(value)}
    return {"kind": "other", "params": None}


def _text(exc: BaseException) -> str:
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001 - a student's __str__ may fail
        message = "<the exception's message could not be shown>"
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + f"... [{len(message) - MAX_MESSAGE} more characters]"
    name = type(exc).__name__
    return f"{name}: {message}" if message else name


class Submission:
    """The student's module inside the worker: load it, list its names, call into it."""

    def __init__(self, source: bytes, filename: str, module: str, path: str, guard: ImportGuard,
                 max_bytes: int, values):
        self.values = values              # the values module
        self.source = source
        self.filename = filename          # shown to the student, e.g. "sheet01.py"
        self.path = path                  # the copy in the scratch folder
        self.guard = guard
        self.max_bytes = max_bytes
        self.module = types.ModuleType(module)
        self.module.__file__ = path
        self.namespace = self.module.__dict__
        self.files: set[str] = set()      # code file names that belong to the student
        self.lines: dict[str, tuple[int, int | None]] = {}   # name -> (line, cell)

    # -- loading ---------------------------------------------------------------------------

    def load(self) -> dict:
        """Run the submission; a reply header with status, error, defs and warnings."""
        if self.module.__name__ not in sys.modules:   # never shadow numpy or the stdlib
            sys.modules[self.module.__name__] = self.module
        sys.argv = [self.path]
        if self.filename.lower().endswith(".ipynb"):
            reply = self._load_notebook()
        else:
            reply = self._load_module()
        if reply["status"] == "ok":
            reply["defs"] = self.defs()
        return reply

    def _compile(self, text: str, filename: str, cell: int | None):
        self.files.add(filename)
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        tree = ast.parse(text, filename)   # parsed once: for the lines and the code
        for name, line in _top_level_lines(tree).items():
            self.lines[name] = (line, cell)
        return compile(tree, filename, "exec", dont_inherit=True)

    def _load_module(self) -> dict:
        text, problem = source_text(self.source, self.filename)
        if problem:
            return {"status": "error", "error": problem, "line": None, "traceback": ""}
        try:
            code = self._compile(text, self.filename, None)
        except SyntaxError as exc:
            return self._syntax_error(exc)
        try:
            exec(code, self.namespace)
        except BaseException as exc:  # noqa: BLE001 - SystemExit included: it is the student's
            return {"status": "error", **self.failure(exc, "at import")}
        return {"status": "ok"}

    def _syntax_error(self, exc: SyntaxError, where: str | None = None) -> dict:
        where = where or exc.filename or self.filename
        text = (exc.text or "").strip()
        message = f"{type(exc).__name__}: {exc.msg} ({where}, line {exc.lineno})"
        if text:
            message += f": {text}"
        return {"status": "error", "error": message, "line": exc.lineno, "traceback": ""}

    def _load_notebook(self) -> dict:
        try:
            cells = notebook.notebook_cells(self.source)
        except (ValueError, AttributeError, TypeError) as exc:
            return {"status": "error", "error": f"{self.filename} is not a valid notebook ({exc})"}
        warnings = []
        notebook.install_builtins()
        for number, raw in cells:
            text, dropped = notebook.prepare_cell(raw)
            if dropped:
                warnings.append(notebook.dropped_warning(number, dropped))
            if not text.strip():
                continue
            filename = f"{self.filename}, cell {number}"
            try:
                code = self._compile(text, filename, number)
                exec(code, self.namespace)
            except SyntaxError as exc:
                warnings.append(f"cell {number} skipped: " + self._syntax_error(exc)["error"])
            except BaseException as exc:  # noqa: BLE001 - a failing cell does not stop the rest
                warnings.append(f"cell {number} failed: " + self.failure(exc, "")["error"])
        return {"status": "ok", "warnings": warnings}

    def defs(self) -> dict:
        """Each top-level name -> kind, line (and cell), parameters; modules are left out."""
        result = {}
        for name, value in list(self.namespace.items()):
            if not isinstance(name, str) or name.startswith("__"):
                continue
            try:
                if isinstance(value, types.ModuleType):
                    continue
                described = _describe_definition(value)
            except Exception:  # noqa: BLE001 - a student's object may refuse inspection
                described = {"kind": "other", "params": None}
            if len(result) >= MAX_DEFS:
                break
            line, cell = self.lines.get(name, (None, None))
            entry: dict = {"line": line, **described}
            if cell is not None:
                entry["cell"] = cell
            result[name] = entry
        return result

    # -- errors ----------------------------------------------------------------------------

    def failure(self, exc: BaseException, context: str) -> dict:
        """error (one line), line and traceback of an exception, student frames only."""
        traceback.clear_frames(exc.__traceback__)   # frees e.g. a huge list before formatting
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in self.files]
        if isinstance(exc, SystemExit):
            headline = f"sys.exit({exc.code!r}) was called"
        elif self.guard.hidden_package(exc):   # the sandbox left the package out
            headline = _text(ForbiddenImport(self.guard.hidden_package(exc)))
        else:
            headline = _text(exc)
        if context:
            headline += f" {context}"
        if isinstance(exc, (ModuleNotFoundError, FileNotFoundError)) and \
                not self.guard.hidden_package(exc):
            headline += (" (only the submission file is graded: a module or data file of "
                         "your own next to it is not there)")
        line = None
        if frames:
            last = frames[-1]
            line = last.lineno
            headline += f" ({last.filename}, line {last.lineno}"
            headline += f": {last.line.strip()})" if last.line else ")"
        omitted = max(len(frames) - MAX_FRAMES, 0)
        listing = traceback.format_list(frames[-MAX_FRAMES:])
        text = "Traceback (most recent call last):\n"
        if omitted:
            text += f"  ... {omitted} earlier frames omitted\n"
        text += "".join(listing) + _text(exc) + "\n"
        return {"error": headline, "line": line, "traceback": text if frames else ""}

    def _outcome(self, status: str, exc: BaseException, context: str) -> dict:
        info = self.failure(exc, context)
        return {"status": status, "message": info["error"], "line": info["line"],
                "traceback": info["traceback"]}

    # -- calls -----------------------------------------------------------------------------

    def _lookup(self, name: str, want_class: bool):
        if name not in self.namespace:
            kind = "class" if want_class else "function"
            return None, {"status": "missing",
                          "message": f"{self.filename} defines no {kind} named {name!r}"}
        value = self.namespace[name]
        if want_class and not isinstance(value, type):
            return None, {"status": "missing", "message": f"{name!r} in {self.filename} is "
                          f"{self.values.describe(value)}, not a class"}
        if not want_class and not callable(value):
            return None, {"status": "missing", "message": f"{name!r} in {self.filename} is "
                          f"{self.values.describe(value)}, not a function"}
        return value, None

    def _run(self, function, args, label: str):
        """(value, None) or (None, failure reply) for one call into student code."""
        try:
            return function(*args), None
        except NotImplementedError as exc:
            return None, self._outcome("not implemented", exc, f"in {label}")
        except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
            return None, self._outcome("error", exc, f"in {label}")

    def call(self, name: str, args: list, arity: int | None, params: list = ()):
        """Reply header and arrays for ``name(*args, *params)``."""
        function, missing = self._lookup(name, want_class=False)
        if missing:
            return missing, []
        value, failed = self._run(function, [self.values.argument(a) for a in args]
                                  + list(params), name)
        if failed:
            return failed, []
        return self._convert(value, arity, name)

    def node(self, name: str, inputs: list, grad_output, params: list = (),
             grads: int | None = None, names: list | tuple = ()):
        """``obj = cls(); out = obj.forward(*inputs, *params); grads =
        obj.backward(grad_output)`` (``grads`` gradients, default one per input; ``names``
        name them in messages). The gradients go back item by item (``values.gradients``)."""
        cls, missing = self._lookup(name, want_class=True)
        if missing:
            return missing, []
        obj, failed = self._run(cls, [], f"{name}()")
        if failed:
            return failed, []
        for method in ("forward", "backward"):
            if not callable(getattr(obj, method, None)):
                return {"status": "missing", "message": f"{name} has no {method} method"}, []
        argument = self.values.argument
        out, failed = self._run(obj.forward, [argument(a) for a in inputs] + list(params),
                                f"{name}.forward")
        if failed:
            return failed, []
        forward, arrays = self._convert(out, None, f"{name}.forward")
        if forward["status"] != "ok":
            return forward, []
        gradients, failed = self._run(obj.backward, [argument(grad_output)],
                                      f"{name}.backward")
        if failed:
            return failed, []
        count = len(inputs) if grads is None else grads
        backward, gradients = self._gradients(gradients, count, f"{name}.backward", names)
        if backward["status"] != "ok":
            return backward, []
        return {"status": "ok"}, arrays + gradients

    def _convert(self, value, arity, what):
        return self._converted(self.values.to_arrays, value, arity, what)

    def _gradients(self, value, count, what, names=()):
        """A backward's gradients item by item (``values.gradients``); ``names`` (from a
        request's header) name them in messages when they are a list of strings."""
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
            names = ()
        return self._converted(self.values.gradients, value, count, what, names)

    def _converted(self, convert, value, arity, what, *names):
        try:
            return {"status": "ok"}, convert(value, arity, what, self.max_bytes, *names)
        except self.values.Invalid as exc:
            return {"status": "invalid", "message": str(exc)}, []
        except BaseException as exc:  # noqa: BLE001 - a student's __len__/__iter__ failed
            return self._outcome("invalid", exc, f"while reading what {what} returned"), []
