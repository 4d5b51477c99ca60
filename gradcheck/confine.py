"""What the machine offers for confining workers, seen from the grader's side.

- :func:`available_modes` / :func:`candidate_modes`: ``bwrap`` (bubblewrap, tried once),
  ``landlock`` (kernel Landlock ABI >= 1) and ``none`` (resource limits only).
- :func:`clean_environment`: the zygote's environment, built from an allow-list.
- :func:`read_roots` / :func:`bwrap_command`: the file-system view of the zygote and workers.
- :class:`PidsCgroups`: a pids cgroup (v1) per worker, where the hierarchy is writable.

Nothing here runs student code.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import shutil
import signal
import site
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from gradcheck.errors import SandboxError
from gradcheck.worker_guard import landlock_abi

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
    return Path(__file__).resolve().with_name("worker.py")


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


def bwrap_command(base: Path | None) -> list[str]:
    """bwrap options (up to ``--``) for a zygote: read-only system and Python, ``base`` writable.

    No network, no IPC, own pid namespace, a small private /tmp, a read-only root, a new
    session, no capabilities, and the sandbox dies with the thread that started it.
    """
    args = [bwrap_path() or "bwrap", "--die-with-parent", "--new-session", "--unshare-pid",
            "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--dev", "/dev", "--proc", "/proc"]
    if "--size" in _bwrap_help():
        args += ["--size", str(TMPFS_SIZE)]
    args += ["--tmpfs", "/tmp"]
    visible = [*SYSTEM_ROOTS, *python_roots(), "/sys", str(worker_script().parent)]
    for path in sorted(set(visible), key=lambda p: (p.count("/"), p)):
        if not os.path.lexists(path):
            continue
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        else:
            args += ["--ro-bind", path, path]
    if base is not None:
        args += ["--bind", str(base), str(base), "--chdir", str(base)]
    # bwrap builds the view on a writable tmpfs: without this, files written anywhere in the
    # view (or in /dev) would fill memory. /tmp and the scratch folder stay writable.
    return args + ["--remount-ro", "/dev", "--remount-ro", "/", "--"]


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


class PidsCgroups:
    """Per-worker pids cgroups (cgroup v1) below a folder of our own, when writable.

    ``PidsCgroups.create()`` returns None where there is no writable pids hierarchy
    (non-root, cgroup v2 without delegation, macOS); callers then skip cgroups.
    """

    def __init__(self, root: Path):
        self.root = root

    @classmethod
    def create(cls) -> PidsCgroups | None:
        mount = cls._mount()
        if mount is None:
            return None
        parent = mount / cls._own_path()
        root = parent / f"gradcheck-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            root.mkdir()
        except OSError:
            return None
        cls._remove_stale(parent)
        return cls(root)

    @classmethod
    def _remove_stale(cls, parent: Path) -> None:
        """Remove groups left by graders that died without closing their sandbox."""
        for folder in parent.glob("gradcheck-*-*"):
            pid = folder.name.split("-")[1]
            if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                cls(folder).close()

    @staticmethod
    def _mount() -> Path | None:
        try:
            with open("/proc/self/mounts") as f:
                for line in f:
                    fields = line.split()
                    if len(fields) > 3 and fields[2] == "cgroup" and "pids" in fields[3].split(","):
                        return Path(fields[1])
        except OSError:
            pass
        return None

    @staticmethod
    def _own_path() -> str:
        try:
            with open("/proc/self/cgroup") as f:
                for line in f:
                    _id, controllers, path = line.rstrip("\n").split(":", 2)
                    if "pids" in controllers.split(","):
                        return path.lstrip("/")
        except (OSError, ValueError):
            pass
        return ""

    def add(self, name: str, pid: int, limit: int) -> Path | None:
        """Create the group ``name`` with ``pids.max = limit`` and move ``pid`` into it."""
        group = self.root / name
        try:
            group.mkdir(exist_ok=True)
            (group / "pids.max").write_text(str(limit))
            (group / "cgroup.procs").write_text(str(pid))
        except OSError:
            self.remove(group)
            return None
        return group

    @staticmethod
    def kill(group: Path, timeout: float = 2.0) -> None:
        """SIGKILL every process in the group until it is empty (or ``timeout`` passes)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
            except (OSError, ValueError):
                return
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.002)

    def remove(self, group: Path) -> None:
        self.kill(group)
        for _ in range(50):
            try:
                group.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.01)  # killed processes leave the group a moment later

    def close(self) -> None:
        if self.root.is_dir():
            for group in self.root.iterdir():
                if group.is_dir():
                    self.remove(group)
        self.remove(self.root)
