"""Landlock: the file-system view a worker confines itself to, and what it hides.

Part of the standalone worker (standard library only, never imports ``gradcheck``); the parent
imports it too, to ask which Landlock ABI the kernel offers and where forbidden packages lie.
Reads are allowed only below the given read roots (minus the forbidden packages, see
:func:`split_roots`), writes only in the scratch folder and to ``/dev/null``; no TCP
bind/connect (ABI >= 4), no signals or abstract sockets outside the worker's own processes
(ABI >= 6). Every function returns ``0``/``[]`` where the kernel has no Landlock.
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import importlib.util
import os
import struct

from . import guard

SYS_LANDLOCK_CREATE_RULESET = 444
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1

# Landlock file-system rights, in ABI order.
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_TRUNCATE, FS_IOCTL_DEV = 1 << 14, 1 << 15
FS_READ = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1


def landlock_abi() -> int:
    """The Landlock ABI version the kernel offers, 0 when there is none.

    >>> landlock_abi() >= 0
    True
    """
    if guard.LIBC is None:
        return 0
    version = guard.syscall(SYS_LANDLOCK_CREATE_RULESET, None, 0, LANDLOCK_CREATE_RULESET_VERSION)
    return max(int(version), 0)


def _fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1          # ABI 1: execute ... make_sym
    if abi >= 2:
        rights |= 1 << 13           # refer
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def _spec_paths(name: str) -> list[str]:
    """Where the module or package ``name`` lies: its folders, or its file and cached
    bytecode. Found without importing anything (a dotted name is looked up below its
    top-level package's folders)."""
    top, _, rest = name.partition(".")
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    folders = list(spec.submodule_search_locations or [])
    if not rest:
        if folders:
            return folders
        return [p for p in (spec.origin, spec.cached) if p]
    found = []
    for folder in folders:
        base = os.path.join(folder, *rest.split("."))
        for candidate in (base, *(base + s for s in importlib.machinery.all_suffixes())):
            if os.path.lexists(candidate):
                found.append(candidate)
    return found


def package_paths(names, protected=("/",), never=("numpy",)) -> list[tuple[str, str]]:
    """``(path, name)``, resolved, for the folders and files of the packages ``names`` as
    this process's import system finds them (nothing is imported). Paths that hold any of
    the ``protected`` folders, and packages in ``never``, are left out.

    >>> [name for _path, name in package_paths(["json", "no_such_package_here"])]
    ['json']
    """
    guarded = [os.path.realpath(p) for p in protected]
    found: dict[str, str] = {}
    for name in sorted({str(n) for n in names if n}):
        if name.partition(".")[0] in never:
            continue
        for path in _spec_paths(name):
            if not os.path.isabs(path):
                continue
            real = os.path.realpath(path)
            if any(g == real or g.startswith(real.rstrip("/") + "/") for g in guarded):
                continue   # never a folder that holds the interpreter or the system
            found.setdefault(real, name)
    return sorted(found.items())


def split_roots(roots: list[str], hidden: list[str]) -> tuple[list[str], list[str]]:
    """``(readable, listable)``: the read roots with every ``hidden`` path carved out.

    A root that holds a hidden path is replaced by its entries (recursively along the way to
    the hidden path), minus the hidden ones; the folders taken apart stay *listable* (their
    names can be read, so the import system still works there) but nothing hidden is
    readable. Paths are compared after resolving symbolic links; symbolic links among the
    entries are left out (their targets are readable where they lie, or not at all).

    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> for name in ("numpy", "sympy", "six.py"):
    ...     _ = open(os.path.join(root, name), "w")
    >>> readable, listable = split_roots([root], [os.path.join(root, "sympy")])
    >>> sorted(os.path.basename(p) for p in readable), listable == [os.path.realpath(root)]
    (['numpy', 'six.py'], True)
    """
    hidden_set = {os.path.realpath(h) for h in hidden}
    readable: list[str] = []
    listable: list[str] = []

    def holds(folder: str) -> bool:
        prefix = folder.rstrip("/") + "/"
        return any(h == folder or h.startswith(prefix) for h in hidden_set)

    def add(path: str) -> None:
        if not holds(path):
            readable.append(path)
            return
        if path in hidden_set or not os.path.isdir(path):
            return
        listable.append(path)
        try:
            entries = sorted(os.listdir(path))
        except OSError:
            return
        for entry in entries:
            child = os.path.join(path, entry)
            if not os.path.islink(child):
                add(child)

    seen: list[str] = []
    for root in sorted({os.path.realpath(r) for r in roots}):
        if not any(root.startswith(s.rstrip("/") + "/") for s in seen):
            seen.append(root)
            add(root)
    return readable, listable


def reading_layer(readable: list[str], listable: list[str]) -> int:
    """A Landlock ruleset (its fd, -1 when there is none) that handles reading only: files
    below ``readable``, names in ``listable`` folders. Built once (by the zygote) and applied
    by many workers with :func:`apply_landlock` ``(layers=[fd])``; it is never changed after
    this function returns."""
    if landlock_abi() <= 0:
        return -1
    attr = struct.pack("=Q", FS_READ)
    attr_buffer = ctypes.create_string_buffer(attr, len(attr))
    ruleset = guard.syscall(SYS_LANDLOCK_CREATE_RULESET, attr_buffer, len(attr), 0)
    if ruleset < 0:
        return -1
    for path in readable:
        _add_path_rule(ruleset, path, FS_READ, FS_EXECUTE | FS_READ_FILE)
    for path in listable:
        _add_path_rule(ruleset, path, FS_READ_DIR, 0)
    return ruleset


def apply_landlock(*, read_roots: list[str], write_dirs: list[str],
                   write_files: tuple[str, ...] = ("/dev/null",), layers=()) -> int:
    """Restrict this process (and everything it starts) with Landlock; returns the ABI used.

    Reads are allowed below ``read_roots``, everything below ``write_dirs``, reading and writing
    the ``write_files``. TCP bind/connect are denied (ABI >= 4); signals and abstract unix
    sockets cannot reach processes outside this one's domain (ABI >= 6). ``layers`` are
    rulesets applied first (:func:`reading_layer`): what they do not allow stays denied.
    Returns 0 when the kernel has no Landlock or a restriction failed (the ones before it
    still hold).
    """
    abi = landlock_abi()
    if abi <= 0:
        return 0
    if not guard.set_no_new_privs():
        return 0
    for layer in layers:
        if guard.syscall(SYS_LANDLOCK_RESTRICT_SELF, layer, 0) != 0:
            return 0
    fs = _fs_rights(abi)
    net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
    attr = struct.pack("=QQQ", fs, net, scoped)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    attr_buffer = ctypes.create_string_buffer(attr[:size], size)
    ruleset = guard.syscall(SYS_LANDLOCK_CREATE_RULESET, attr_buffer, size, 0)
    if ruleset < 0:
        return 0
    try:
        file_extra = fs & (FS_TRUNCATE | FS_IOCTL_DEV)
        file_rights = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | file_extra
        rules = [(path, FS_READ | (fs & FS_IOCTL_DEV if path == "/dev" else 0))
                 for path in read_roots]
        rules += [(path, fs) for path in write_dirs]
        rules += [(path, FS_READ_FILE | FS_WRITE_FILE | file_extra) for path in write_files]
        for path, rights in rules:
            _add_path_rule(ruleset, path, rights, file_rights)
        if guard.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
            return 0
    finally:
        os.close(ruleset)
    return abi


def _add_path_rule(ruleset: int, path: str, rights: int, file_rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not os.path.isdir(path):
            rights &= file_rights  # a rule on a file may only hold file rights
        if not rights:
            return
        attr = struct.pack("=Qi", rights, fd)  # struct landlock_path_beneath_attr is packed
        buffer = ctypes.create_string_buffer(attr, len(attr))
        guard.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, buffer, 0)
    finally:
        os.close(fd)
