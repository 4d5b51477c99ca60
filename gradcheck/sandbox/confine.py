"""What the machine offers for confining workers, seen from the grader's side.

- :func:`available_modes` / :func:`candidate_modes`: ``bwrap`` (bubblewrap, tried once),
  ``landlock`` (kernel Landlock ABI >= 1) and ``none`` (resource limits only).
- :func:`clean_environment`: the zygote's environment, built from an allow-list.
- :func:`read_roots` / :func:`bwrap_command`: the file-system view of the zygote and workers;
  :func:`forbidden_paths`: where the forbidden packages lie, to leave them out of it.
- :func:`mode_warning`: what a weak mode does not protect, for the user.

Nothing here runs student code.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import site
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from gradcheck.errors import SandboxError
from gradcheck.sandbox.child.landlock import landlock_abi, package_paths

MODES = ("bwrap", "landlock", "none")
ENV_MODE = "GRADCHECK_SANDBOX"

KEPT_VARIABLES = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM")
FIXED_VARIABLES = {
    "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "PYTHONSAFEPATH": "1",
    "PYTHONIOENCODING": "utf-8:backslashreplace", "MPLBACKEND": "Agg",
}
SYSTEM_ROOTS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
TMPFS_SIZE = 16 << 20
# The worker's own files: all the zygote runs (bwrap shows only these, at WORKER_VIEW).
CHILD = Path(__file__).resolve().parent / "child"   # the worker's own files, nothing else
WORKER_VIEW = "/gradcheck-worker"
NEVER_HIDDEN = ("numpy",)    # the worker needs it; a sheet cannot forbid it


def clean_environment(environ: Mapping[str, str], home: str) -> dict[str, str]:
    """The environment a zygote gets: an allow-list, never tokens or keys.

    >>> env = clean_environment({"PATH": "/bin", "GITHUB_TOKEN": "x", "LC_ALL": "C"}, "/s")
    >>> sorted(k for k in env if not k.endswith("THREADS") and not k.startswith(("PY", "MPL")))
    ['HOME', 'LC_ALL', 'PATH', 'TMPDIR']
    """
    env = {k: v for k, v in environ.items()
           if k in KEPT_VARIABLES or re.fullmatch(r"LC_[A-Z]+", k)}
    env.setdefault("PATH", os.defpath)
    env.update(FIXED_VARIABLES, HOME=home, TMPDIR=home)
    return env


def _dedupe(paths) -> list[str]:
    """Existing absolute paths, each once, without those inside another one."""
    result: list[str] = []
    for path in sorted({os.path.normpath(p) for p in paths if p and os.path.isabs(p)}):
        if os.path.exists(path) and not any(path.startswith(r.rstrip("/") + "/") for r in result):
            result.append(path)
    return result


@functools.lru_cache(maxsize=1)
def python_roots() -> tuple[str, ...]:
    """Folders the interpreter and its installed packages live in (incl. ``.pth`` entries)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable))}
    try:
        packages = site.getsitepackages()
    except AttributeError:  # an old virtualenv's site module
        packages = []
    for folder in packages:
        paths.add(folder)
        try:
            pth_files = [f for f in os.listdir(folder) if f.endswith(".pth")]
        except OSError:
            continue
        for name in pth_files:
            try:
                with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
                    for line in f:
                        line = line.strip()
                        if line and not line.startswith(("#", "import")):
                            paths.add(os.path.join(folder, line))
            except OSError:
                continue
    paths |= {os.path.realpath(p) for p in list(paths) if p}
    return tuple(_dedupe(paths))


@functools.lru_cache(maxsize=1)
def _read_roots() -> tuple[str, ...]:
    nix = ["/nix"] if sys.prefix.startswith("/nix/") else []
    return tuple(_dedupe([*SYSTEM_ROOTS, *nix, *python_roots(), "/dev", "/proc", "/sys"]))


def read_roots() -> list[str]:
    """Everything a worker may read (besides its scratch folder): system, Python, devices."""
    return list(_read_roots())


def worker_script() -> Path:
    """The standalone worker script run as the zygote."""
    return CHILD / "worker.py"


def forbidden_paths(names) -> list[tuple[str, str]]:
    """``(path, name)`` for every folder or file of a forbidden package that this process
    would import, resolved, as the sandbox hides them from workers (``numpy`` never is; the
    zygote adds what its own import path finds, see ``child/landlock.package_paths``).

    >>> forbidden_paths(["no_such_package_here"])
    []
    >>> [name for _path, name in forbidden_paths(["json"])]
    ['json']
    """
    protected = [*SYSTEM_ROOTS, *python_roots(), "/"]
    return package_paths(names, protected, NEVER_HIDDEN)


@functools.lru_cache(maxsize=1)
def bwrap_path() -> str | None:
    """The bubblewrap executable, or None."""
    return shutil.which("bwrap")


@functools.lru_cache(maxsize=1)
def _bwrap_help() -> str:
    path = bwrap_path()
    if not path:
        return ""
    try:
        return subprocess.run([path, "--help"], capture_output=True, text=True,
                              timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def bwrap_command(base: Path | None, hidden=()) -> list[str]:
    """bwrap options (up to ``--``) for a zygote: read-only system and Python, ``base`` writable.

    No network, no IPC, own pid namespace, a small private /tmp, a read-only root, a new
    session, no capabilities, and the sandbox dies with the thread that started it. The
    worker's files appear at :data:`WORKER_VIEW` (not the rest of gradcheck); ``hidden``
    paths (:func:`forbidden_paths`) are covered: an empty folder over a folder, an empty
    device over a file.
    """
    args = [bwrap_path() or "bwrap", "--die-with-parent", "--new-session", "--unshare-pid",
            "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--dev", "/dev", "--proc", "/proc"]
    if "--size" in _bwrap_help():
        args += ["--size", str(TMPFS_SIZE)]
    args += ["--tmpfs", "/tmp"]
    visible = [*SYSTEM_ROOTS, *python_roots(), "/sys"]
    for path in sorted(set(visible), key=lambda p: (p.count("/"), p)):
        if not os.path.lexists(path):
            continue
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        else:
            args += ["--ro-bind", path, path]
    inside = [p.rstrip("/") + "/" for p in visible]
    for path, _name in hidden:
        if not any(path.startswith(p) for p in inside):
            continue   # not in the view anyway
        if os.path.isdir(path):
            args += ["--tmpfs", path, "--remount-ro", path]
        elif os.path.exists(path):
            args += ["--ro-bind", "/dev/null", path]
    for path in sorted(CHILD.glob("*.py")):
        args += ["--ro-bind", str(path), f"{WORKER_VIEW}/{path.name}"]
    if helper_bytecode():   # the helpers' bytecode: not compiled again in every zygote
        args += ["--ro-bind", str(CHILD / "__pycache__"), f"{WORKER_VIEW}/__pycache__"]
    if base is not None:
        args += ["--bind", str(base), str(base), "--chdir", str(base)]
    # bwrap builds the view on a writable tmpfs: without this, files written anywhere in the
    # view (or in /dev) would fill memory. /tmp and the scratch folder stay writable.
    return args + ["--remount-ro", "/dev", "--remount-ro", "/", "--"]


@functools.lru_cache(maxsize=1)
def helper_bytecode() -> bool:
    """Whether the worker's helpers have a bytecode folder to show the zygote (compiling a
    helper whose bytecode is missing or older than its source, as an import would, unless
    writing bytecode is off). The zygote runs with ``-B`` in a read-only view: without it,
    every zygote compiled its ~2 000 lines of helpers again (~10 ms of its start).

    >>> helper_bytecode() in (True, False)
    True
    """
    if not sys.dont_write_bytecode:
        import importlib.util
        import py_compile

        for source in CHILD.glob("*.py"):
            cached = Path(importlib.util.cache_from_source(str(source)))
            try:
                if not cached.exists() or cached.stat().st_mtime < source.stat().st_mtime:
                    py_compile.compile(str(source), cfile=str(cached), doraise=True)
            except (OSError, py_compile.PyCompileError):
                break   # a read-only install: its bytecode is what it is
    return (CHILD / "__pycache__").is_dir()


@functools.lru_cache(maxsize=1)
def bwrap_works() -> bool:
    """Does bubblewrap start a process with our view here (tried once per process)?"""
    if not bwrap_path():
        return False
    command = bwrap_command(None) + ["true"]
    try:
        return subprocess.run(command, capture_output=True, timeout=10,
                              env=clean_environment(os.environ, "/")).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def available_modes() -> tuple[str, ...]:
    """The modes this machine supports, strongest first.

    >>> available_modes()[-1]
    'none'
    """
    modes = []
    if bwrap_works():
        modes.append("bwrap")
    if landlock_abi() > 0:
        modes.append("landlock")
    return (*modes, "none")


def candidate_modes(requested: str | None) -> list[str]:
    """Modes to try in order: the requested one (argument, else $GRADCHECK_SANDBOX) or auto.

    In auto, bwrap is tried when installed (a failed start falls back to the next mode).
    """
    requested = requested or os.environ.get(ENV_MODE) or "auto"
    if requested == "auto":
        modes = ["bwrap"] if bwrap_path() else []
        return modes + (["landlock"] if landlock_abi() > 0 else []) + ["none"]
    if requested not in MODES:
        raise SandboxError(f"unknown sandbox mode {requested!r}; "
                           f"choose one of auto, {', '.join(MODES)}")
    if requested == "bwrap" and not bwrap_path():
        raise SandboxError("sandbox mode 'bwrap' needs bubblewrap (bwrap), which is not installed")
    if requested == "landlock" and landlock_abi() <= 0:
        raise SandboxError("sandbox mode 'landlock' needs a Linux kernel with Landlock")
    return [requested]


def mode_warning(mode: str, landlock: int) -> str | None:
    """What the sandbox mode in use does not protect, in one sentence; None for a strong one.

    >>> mode_warning("bwrap", 7) is None, mode_warning("landlock", 6) is None
    (True, True)
    >>> mode_warning("none", 0)  # doctest: +ELLIPSIS
    "the sandbox runs in mode 'none' (no bubblewrap or Landlock here): ..."
    """
    if mode == "none":
        return ("the sandbox runs in mode 'none' (no bubblewrap or Landlock here): student "
                "code is limited in time, memory and processes, but it can read and write "
                "your files and reach the network where seccomp is missing")
    if mode == "landlock" and landlock < 6:
        return (f"the sandbox runs in mode 'landlock' with Landlock ABI {landlock} (< 6): "
                "files are confined, but student code can signal other processes of your "
                "user (the grader's own are refused by seccomp)")
    return None


def pick_mode(requested: str | None = None) -> str:
    """The mode a sandbox started now would use: the requested one (argument, else
    ``$GRADCHECK_SANDBOX``), or in auto the first of :func:`candidate_modes` that works here.

    >>> pick_mode("none")
    'none'
    """
    modes = candidate_modes(requested)
    if len(modes) == 1:
        return modes[0]
    available = available_modes()
    return next(m for m in modes if m in available)


def user_thread_count(uid: int) -> int:
    """How many threads the user runs now (what RLIMIT_NPROC counts)."""
    count = 0
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                count += int(fields.get("Threads", "1"))
        except (OSError, KeyError, ValueError):
            continue
    return count
