"""Per-worker cgroups (v1): a ``pids`` and a ``memory`` group for each worker, where the
hierarchy is writable (:class:`Cgroups`), seen from the grader's side. Nothing here runs
student code.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def _v1_mount(controller: str) -> Path | None:
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                fields = line.split()
                if len(fields) > 3 and fields[2] == "cgroup" and \
                        controller in fields[3].split(","):
                    return Path(fields[1])
    except OSError:
        pass
    return None


def _v1_own_path(controller: str) -> str:
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _id, controllers, path = line.rstrip("\n").split(":", 2)
                if controller in controllers.split(","):
                    return path.lstrip("/")
    except (OSError, ValueError):
        pass
    return ""


class Cgroups:
    """Per-worker cgroups (v1): ``pids`` (``pids.max``) and ``memory``
    (``memory.limit_in_bytes``, and ``memory.memsw.limit_in_bytes`` where swap is
    accounted), each below a folder of our own in the grader's own group.

    ``Cgroups.create()`` returns None where neither hierarchy is writable (non-root, cgroup
    v2 only, macOS); callers then go without. ``roots`` maps a controller to our folder.
    """

    CONTROLLERS = ("pids", "memory")

    def __init__(self, roots: dict[str, Path]):
        self.roots = roots

    @classmethod
    def create(cls) -> Cgroups | None:
        roots = {}
        name = f"gradcheck-{os.getpid()}-{os.urandom(4).hex()}"
        for controller in cls.CONTROLLERS:
            mount = _v1_mount(controller)
            if mount is None:
                continue
            parent = mount / _v1_own_path(controller)
            try:
                (parent / name).mkdir()
            except OSError:
                continue
            cls._remove_stale(parent)
            roots[controller] = parent / name
        return cls(roots) if roots else None

    @classmethod
    def _remove_stale(cls, parent: Path) -> None:
        """Remove groups left by graders that died without closing their sandbox."""
        for folder in parent.glob("gradcheck-*-*"):
            pid = folder.name.split("-")[1]
            if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                _remove_tree_of_groups(folder)

    def add(self, name: str, pid: int, processes: int, memory: int) -> dict[str, Path]:
        """Groups ``name`` (one per controller) holding ``pid``, with ``pids.max =
        processes`` and a memory limit of ``memory`` bytes for all its processes together.
        Returns the groups made (a controller that fails is left out)."""
        limits = {"pids": ("pids.max", processes), "memory": ("memory.limit_in_bytes", memory)}
        made = {}
        for controller, root in self.roots.items():
            group = root / name
            file, value = limits[controller]
            try:
                group.mkdir(exist_ok=True)
                (group / file).write_text(str(value))
                if controller == "memory" and (group / "memory.memsw.limit_in_bytes").exists():
                    try:   # swap counts too where it is accounted
                        (group / "memory.memsw.limit_in_bytes").write_text(str(value))
                    except OSError:
                        pass
                (group / "cgroup.procs").write_text(str(pid))
            except OSError:
                _remove_group(group)
                continue
            made[controller] = group
        return made

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

    def remove(self, groups: dict[str, Path]) -> None:
        """Kill what is in the groups, then remove them."""
        for group in groups.values():
            _remove_group(group)

    def close(self) -> None:
        for root in self.roots.values():
            _remove_tree_of_groups(root)


def _remove_group(group: Path) -> None:
    Cgroups.kill(group)
    for _ in range(50):
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.01)  # killed processes leave the group a moment later


def _remove_tree_of_groups(root: Path) -> None:
    if root.is_dir():
        for group in root.iterdir():
            if group.is_dir():
                _remove_group(group)
    _remove_group(root)
