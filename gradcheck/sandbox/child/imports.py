"""The import guard: a worker's student code cannot import what the sheet forbids.

Part of the standalone worker (standard library only, never imports ``gradcheck``).
:class:`ImportGuard` blocks the sheet's forbidden imports (an audit hook on imports and on
opening the packages' files, a meta-path finder, a wrapped ``builtins.__import__``, and a scan
of ``sys.modules`` after loading and after each call).
"""

from __future__ import annotations

import builtins
import importlib.abc
import os
import sys


class ForbiddenImport(ImportError):
    """Raised in place of importing a package the sheet forbids."""

    def __init__(self, name: str):
        super().__init__(f"importing {name!r} is not allowed on this sheet", name=name)


class ForbiddenFile(PermissionError):
    """Raised in place of opening a file of a package the sheet forbids. A PermissionError,
    as the kernel's refusal would be, so code that copes with unreadable files still does."""

    def __init__(self, name: str, path):
        super().__init__(f"{os.fsdecode(path)}: importing {name!r} is not allowed on this sheet")
        self.name = name


class ImportGuard(importlib.abc.MetaPathFinder):
    """Blocks imports of the given packages (and their submodules) in this process.

    Four layers: an audit hook (``sys.addaudithook``, which Python code cannot remove) that
    refuses the ``import`` event for a forbidden name and ``open`` / ``ctypes.dlopen`` of a
    file in ``hidden`` (the folders and files of the forbidden packages on this machine), a
    meta-path finder and a wrapped ``builtins.__import__`` (for the same message on every
    route), and a scan of ``sys.modules`` after each request.
    """

    def __init__(self, forbid, hidden=()):
        self.names = tuple(sorted({str(n) for n in forbid if n}))
        # (path, package): where each forbidden package lies on this machine
        self.hidden = tuple((str(path).rstrip("/"), str(name)) for path, name in hidden)
        self._original_import = builtins.__import__
        self._allowed: set = set()   # names in sys.modules already found not forbidden

    def forbidden(self, fullname: str) -> bool:
        return any(fullname == n or fullname.startswith(n + ".") for n in self.names)

    def hidden_package(self, exc: BaseException) -> str | None:
        """The forbidden package whose import ``exc`` is the failure of, when it failed
        because the sandbox left the package out (after the hooks were removed: not found,
        or its files unreadable); else None."""
        if isinstance(exc, ForbiddenFile):
            return exc.name
        if isinstance(exc, PermissionError) and exc.filename is not None:
            return self._package_of(exc.filename)
        if isinstance(exc, ImportError) and not isinstance(exc, ForbiddenImport) \
                and isinstance(exc.name, str) and self.forbidden(exc.name):
            return exc.name
        return None

    def find_spec(self, fullname, path=None, target=None):
        if self.forbidden(fullname):
            raise ForbiddenImport(fullname)
        return None

    def install(self) -> None:
        if not self.names:
            return
        for loaded in [m for m in sys.modules if isinstance(m, str) and self.forbidden(m)]:
            del sys.modules[loaded]
        sys.addaudithook(self._audit)
        sys.meta_path.insert(0, self)
        original, forbidden = self._original_import, self.forbidden

        def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
            if level == 0 and isinstance(name, str) and forbidden(name):
                raise ForbiddenImport(name)
            return original(name, globals, locals, fromlist, level)

        builtins.__import__ = guarded_import

    def _audit(self, event: str, args: tuple) -> None:
        if event == "import":
            if args and isinstance(args[0], str) and self.forbidden(args[0]):
                raise ForbiddenImport(args[0])
        elif event in ("open", "ctypes.dlopen") and self.hidden and args:
            package = self._package_of(args[0])
            if package is not None:
                raise ForbiddenFile(package, args[0])

    def _package_of(self, path) -> str | None:
        """The forbidden package a file belongs to (its folder's name), or None."""
        if isinstance(path, int) or path is None:
            return None
        try:
            real = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return None
        for hidden, name in self.hidden:
            if real == hidden or real.startswith(hidden + "/"):
                return name
        return None

    def violation(self) -> str | None:
        """The message for a forbidden module that got into ``sys.modules`` anyway.

        Runs after every request, so only names not checked before are looked at (whether a
        name is forbidden depends on the name alone).
        """
        if not self.names:
            return None
        new = set(sys.modules) - self._allowed
        for name in new:
            if isinstance(name, str) and self.forbidden(name):
                return str(ForbiddenImport(name))
        self._allowed |= new
        return None
