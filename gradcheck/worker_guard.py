"""Confinement a worker applies to itself before any student code runs.

Part of the standalone worker (standard library only, never imports ``gradcheck``); the parent
imports it too, to ask which Landlock ABI the kernel offers. Every function degrades to a no-op
returning ``False``/``0`` where the platform lacks the feature (macOS, old kernels), so the
worker still runs with resource limits alone.

- resource limits: address space, file size, open files, core dumps, processes, CPU time
- capabilities: all dropped (a root worker keeps uid 0 but loses every privilege)
- seccomp: ``socket()`` and ``io_uring_setup()`` fail with EACCES (no network, no unix sockets)
- Landlock: reads only below the given read roots, writes only in the scratch folder and to
  ``/dev/null``, no TCP bind/connect (ABI >= 4), no signals or abstract sockets outside the
  worker's own processes (ABI >= 6)
"""

from __future__ import annotations

import ctypes
import math
import os
import platform
import struct
import sys

try:
    import resource
except ImportError:  # not on this platform: limits are skipped
    resource = None  # type: ignore[assignment]

LINUX = sys.platform.startswith("linux")

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4

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

# seccomp: (audit arch, socket, io_uring_setup) per machine.
SECCOMP_ARCHES = {
    "x86_64": (0xC000003E, 41, 425),
    "aarch64": (0xC00000B7, 198, 425),
}
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
EACCES, ENOSYS = 13, 38


def _libc() -> ctypes.CDLL | None:
    if not LINUX:
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
    libc.syscall.restype = ctypes.c_long
    return libc


_LIBC = _libc()


def _prctl(option: int, arg2: int = 0, arg3: int = 0) -> bool:
    if _LIBC is None:
        return False
    return _LIBC.prctl(option, arg2, arg3, 0, 0) == 0


def _syscall(number: int, *args) -> int:
    if _LIBC is None:
        return -1
    converted = [ctypes.c_long(a) if isinstance(a, int) else a for a in args]
    return _LIBC.syscall(ctypes.c_long(number), *converted)


def set_parent_death_signal(signum: int) -> bool:
    """Have the kernel send ``signum`` to this process when its parent dies.

    >>> import signal; set_parent_death_signal(signal.SIGKILL) in (True, False)
    True
    """
    return _prctl(PR_SET_PDEATHSIG, signum)


def become_subreaper() -> bool:
    """Adopt orphaned descendants (they are reparented here instead of to init)."""
    return _prctl(PR_SET_CHILD_SUBREAPER, 1)


def set_no_new_privs() -> bool:
    """Forbid gaining privileges through exec (set-uid binaries, file capabilities)."""
    return _prctl(PR_SET_NO_NEW_PRIVS, 1)


def apply_rlimits(*, memory: int, file_size: int, open_files: int,
                  processes: int | None) -> list[str]:
    """Set soft and hard limits; returns the names of the limits that were set.

    ``processes`` is the RLIMIT_NPROC value (the kernel counts every process of the real user
    and ignores the limit for root), ``None`` to leave it alone.
    """
    if resource is None:
        return []
    wanted = [("RLIMIT_AS", memory), ("RLIMIT_FSIZE", file_size),
              ("RLIMIT_NOFILE", open_files), ("RLIMIT_CORE", 0)]
    if processes is not None:
        wanted.append(("RLIMIT_NPROC", processes))
    done = []
    for name, value in wanted:
        which = getattr(resource, name, None)
        if which is None:
            continue
        _soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        try:
            resource.setrlimit(which, (value, value))
            done.append(name)
        except (OSError, ValueError):
            continue
    return done


def set_cpu_limit(seconds: float) -> bool:
    """Allow ``seconds`` more CPU time from now (soft RLIMIT_CPU; SIGXCPU when reached).

    Only the soft limit moves: once capabilities are dropped a lowered hard limit could never be
    raised again for the next call. The parent's wall-clock timeout is the real bound.
    """
    if resource is None:
        return False
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds) + 1
    _old, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    except (OSError, ValueError):
        return False
    return True


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> bool:
    """Empty the bounding, ambient, effective, permitted and inheritable capability sets.

    Returns True when the process ends with no effective capabilities.
    """
    if _LIBC is None:
        return False
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            last = int(f.read())
    except (OSError, ValueError):
        last = 40
    for cap in range(last + 1):
        _prctl(PR_CAPBSET_DROP, cap)  # fails without CAP_SETPCAP; then there is little to drop
    _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    _LIBC.capset(ctypes.byref(header), data)
    return _effective_capabilities() == 0


def _effective_capabilities() -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapEff:"):
                    return int(line.split()[1], 16)
    except (OSError, ValueError):
        pass
    return None


def deny_sockets() -> bool:
    """Install a seccomp filter: ``socket()`` and ``io_uring_setup()`` fail with EACCES.

    Calls from a foreign architecture (32-bit ``int 0x80``, x32) fail with ENOSYS. Existing
    sockets (the protocol channel) keep working. Needs no privileges (no_new_privs is set).
    """
    arch = SECCOMP_ARCHES.get(platform.machine())
    if _LIBC is None or arch is None:
        return False
    audit_arch, nr_socket, nr_io_uring = arch
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    program = [
        (ld, 0, 0, 4),                       # A = seccomp_data.arch
        (jeq, 1, 0, audit_arch),             # native: skip the next instruction
        (ret, 0, 0, SECCOMP_RET_ERRNO | ENOSYS),
        (ld, 0, 0, 0),                       # A = seccomp_data.nr
        (jge, 3, 0, 0x40000000),             # x32 system calls -> deny
        (jeq, 2, 0, nr_socket),
        (jeq, 1, 0, nr_io_uring),
        (ret, 0, 0, SECCOMP_RET_ALLOW),
        (ret, 0, 0, SECCOMP_RET_ERRNO | EACCES),
    ]
    raw = b"".join(struct.pack("=HBBI", *insn) for insn in program)
    filters = ctypes.create_string_buffer(raw, len(raw))
    prog = struct.pack("@HP", len(program), ctypes.addressof(filters))
    prog_buffer = ctypes.create_string_buffer(prog, len(prog))
    if not set_no_new_privs():
        return False
    return _prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER,
                  ctypes.addressof(prog_buffer))


def landlock_abi() -> int:
    """The Landlock ABI version the kernel offers, 0 when there is none.

    >>> landlock_abi() >= 0
    True
    """
    if _LIBC is None:
        return 0
    version = _syscall(SYS_LANDLOCK_CREATE_RULESET, None, 0, LANDLOCK_CREATE_RULESET_VERSION)
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


def apply_landlock(*, read_roots: list[str], write_dirs: list[str],
                   write_files: tuple[str, ...] = ("/dev/null",)) -> int:
    """Restrict this process (and everything it starts) with Landlock; returns the ABI used.

    Reads are allowed below ``read_roots``, everything below ``write_dirs``, reading and writing
    the ``write_files``. TCP bind/connect are denied (ABI >= 4); signals and abstract unix
    sockets cannot reach processes outside this one's domain (ABI >= 6). Returns 0 when the
    kernel has no Landlock or the restriction failed (nothing is then restricted).
    """
    abi = landlock_abi()
    if abi <= 0:
        return 0
    fs = _fs_rights(abi)
    net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
    attr = struct.pack("=QQQ", fs, net, scoped)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    attr_buffer = ctypes.create_string_buffer(attr[:size], size)
    ruleset = _syscall(SYS_LANDLOCK_CREATE_RULESET, attr_buffer, size, 0)
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
        if not set_no_new_privs():
            return 0
        if _syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
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
        attr = struct.pack("=Qi", rights, fd)  # struct landlock_path_beneath_attr is packed
        buffer = ctypes.create_string_buffer(attr, len(attr))
        _syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, buffer, 0)
    finally:
        os.close(fd)
