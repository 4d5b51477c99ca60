"""Confinement a worker applies to itself before any student code runs.

Part of the standalone worker (standard library only, never imports ``gradcheck``); the parent
imports it too (``set_parent_death_signal``). Every function degrades to a no-op
returning ``False``/``0`` where the platform lacks the feature (macOS, old kernels), so the
worker still runs with resource limits alone.

- resource limits: address space, file size, open files, core dumps, processes, CPU time
- capabilities: all dropped (a root worker keeps uid 0 but loses every privilege)
- seccomp: ``socket()`` and ``io_uring_setup()`` fail with EACCES (no network, no unix sockets);
  signals to process groups, to every process (``kill(-1)``) and to the processes that run the
  sandbox (zygote, keeper, grader and its parent), ``pidfd_send_signal``, ``ptrace`` and
  ``process_vm_readv/writev`` fail with EPERM
- seccomp also refuses the kernel keyrings (``add_key``, ``request_key``, ``keyctl``: EPERM)
  and, where the worker could not get an IPC namespace of its own (:func:`own_ipc_namespace`),
  System V shared memory, message queues and semaphores and POSIX message queues (EPERM):
  state that would outlive the worker and reach the next one
- Landlock (the file-system view): see ``landlock.py``, which uses :func:`syscall` from here
"""

from __future__ import annotations

import ctypes
import math
import os
import struct
import sys

try:
    import resource
except ImportError:  # not on this platform: limits are skipped
    resource = None  # type: ignore[assignment]

LINUX = sys.platform.startswith("linux")

PR_SET_PDEATHSIG = 1
PR_SET_SECCOMP = 22
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4

# seccomp, per machine: the audit arch and the numbers of the system calls the filter looks at.
SECCOMP_ARCHES = {
    "x86_64": (0xC000003E, {
        "socket": 41, "io_uring_setup": 425, "pidfd_send_signal": 424, "ptrace": 101,
        "process_vm_readv": 310, "process_vm_writev": 311, "kill": 62, "tkill": 200,
        "tgkill": 234, "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297, "pidfd_open": 434}),
    "aarch64": (0xC00000B7, {
        "socket": 198, "io_uring_setup": 425, "pidfd_send_signal": 424, "ptrace": 117,
        "process_vm_readv": 270, "process_vm_writev": 271, "kill": 129, "tkill": 130,
        "tgkill": 131, "rt_sigqueueinfo": 138, "rt_tgsigqueueinfo": 240, "pidfd_open": 434}),
}
# Kernel state that outlives a process: keyrings (always refused), System V IPC and POSIX
# message queues (refused where the worker has no IPC namespace of its own).
KEYRINGS = {"x86_64": {"add_key": 248, "request_key": 249, "keyctl": 250},
            "aarch64": {"add_key": 217, "request_key": 218, "keyctl": 219}}
SHARED_IPC = {
    "x86_64": {"shmget": 29, "shmat": 30, "shmctl": 31, "shmdt": 67, "semget": 64,
               "semop": 65, "semctl": 66, "semtimedop": 220, "msgget": 68, "msgsnd": 69,
               "msgrcv": 70, "msgctl": 71, "mq_open": 240, "mq_unlink": 241,
               "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244,
               "mq_getsetattr": 245},
    "aarch64": {"mq_open": 180, "mq_unlink": 181, "mq_timedsend": 182, "mq_timedreceive": 183,
                "mq_notify": 184, "mq_getsetattr": 185, "msgget": 186, "msgctl": 187,
                "msgrcv": 188, "msgsnd": 189, "semget": 190, "semctl": 191, "semtimedop": 192,
                "semop": 193, "shmget": 194, "shmctl": 195, "shmat": 196, "shmdt": 197},
}
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
NO_NETWORK = ("socket", "io_uring_setup")                          # -> EACCES
NO_REACH = ("pidfd_send_signal", "ptrace", "process_vm_readv", "process_vm_writev")  # EPERM
PID_FIRST = ("kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_open")
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
EPERM, EACCES, ENOSYS = 1, 13, 38


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


LIBC = _libc()


def prctl(option: int, arg2: int = 0, arg3: int = 0) -> bool:
    if LIBC is None:
        return False
    return LIBC.prctl(option, arg2, arg3, 0, 0) == 0


def syscall(number: int, *args) -> int:
    if LIBC is None:
        return -1
    converted = [ctypes.c_long(a) if isinstance(a, int) else a for a in args]
    return LIBC.syscall(ctypes.c_long(number), *converted)


def set_parent_death_signal(signum: int) -> bool:
    """Have the kernel send ``signum`` to this process when its parent dies.

    >>> import signal; set_parent_death_signal(signal.SIGKILL) in (True, False)
    True
    """
    return prctl(PR_SET_PDEATHSIG, signum)


def become_subreaper() -> bool:
    """Adopt orphaned descendants (they are reparented here instead of to init)."""
    return prctl(PR_SET_CHILD_SUBREAPER, 1)


def set_no_new_privs() -> bool:
    """Forbid gaining privileges through exec (set-uid binaries, file capabilities)."""
    return prctl(PR_SET_NO_NEW_PRIVS, 1)


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
    if LIBC is None:
        return False
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            last = int(f.read())
    except (OSError, ValueError):
        last = 40
    for cap in range(last + 1):
        prctl(PR_CAPBSET_DROP, cap)  # fails without CAP_SETPCAP; then there is little to drop
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    LIBC.capset(ctypes.byref(header), data)
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


OWN_USER_NAMESPACE = False   # set by own_ipc_namespace when it made a user namespace


def limit_own_processes(processes: int) -> bool:
    """In a user namespace this process made itself, RLIMIT_NPROC counts only the processes
    of that namespace (the kernel keeps the count per user namespace, and checks the outer
    levels against the limits they had): set it to ``processes``, a limit of this worker
    alone rather than of every process of the user. False where no such namespace exists.
    """
    if not OWN_USER_NAMESPACE or resource is None:
        return False
    try:
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    except (OSError, ValueError):
        return False
    return True


CLONE_NEWNS = 0x00020000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 0x4000, 1 << 18
PR_SET_DUMPABLE = 4
NO_GROUP = 2147483646   # the group /proc exempts from hidepid: one no process is in


def private_proc() -> bool:
    """Give this process a mount namespace whose ``/proc`` is a fresh procfs mounted with
    ``hidepid=invisible``: a process without capabilities sees there only the processes it
    may trace (same user, dumpable, and under Landlock only those in its own domain). Needs
    CAP_SYS_ADMIN (root; not inside bwrap, whose pid namespace hides the rest anyway).
    The mounts of the machine are unchanged.

    >>> import subprocess, sys   # in a process of its own
    >>> code = "from gradcheck.sandbox.child import guard; print(guard.private_proc())"
    >>> run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    >>> run.stdout.strip() in ("True", "False")
    True
    """
    if LIBC is None or LIBC.unshare(CLONE_NEWNS) != 0:
        return False
    LIBC.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                           ctypes.c_char_p]
    if LIBC.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return False
    # gid: the group exempt from hidepid, by default root's (a root worker's): one nobody has
    return LIBC.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                      f"hidepid=invisible,gid={NO_GROUP}".encode()) == 0


def set_dumpable(dumpable: bool) -> bool:
    """A process that is not dumpable cannot be read through ``/proc`` (under hidepid) nor
    traced by processes of its user that lack CAP_SYS_PTRACE; its children inherit it."""
    return prctl(PR_SET_DUMPABLE, int(dumpable))


def own_ipc_namespace() -> bool:
    """Give this process an IPC namespace of its own (System V shared memory, message queues,
    semaphores, POSIX message queues): what it creates there is gone when its last process
    ends, and it sees nothing of the machine's. Needs CAP_SYS_ADMIN (root, before the
    capabilities are dropped); otherwise a user namespace is made with it (unprivileged
    where the kernel allows user namespaces), mapping the process's own uid and gid, so
    files keep their owners. Call it while the process has a single thread.

    >>> import subprocess, sys   # in a process of its own: this one keeps its namespace
    >>> code = "from gradcheck.sandbox.child import guard; print(guard.own_ipc_namespace())"
    >>> run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    >>> run.stdout.strip() in ("True", "False")
    True
    """
    if LIBC is None:
        return False
    if LIBC.unshare(CLONE_NEWIPC) == 0:
        return True
    uid, gid = os.getuid(), os.getgid()
    if LIBC.unshare(CLONE_NEWUSER | CLONE_NEWIPC) != 0:
        return False
    global OWN_USER_NAMESPACE
    OWN_USER_NAMESPACE = True
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                       ("gid_map", f"{gid} {gid} 1")):
        try:
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
        except OSError:
            pass   # unmapped ids show as the overflow id; permissions are unchanged
    return True


def _bpf(program: list) -> list[tuple[int, int, int, int]]:
    """Resolve ``("jump-if-equal", value, label)`` / ``("jump-if-above-or-equal", ...)``
    instructions and ``("label", name)`` marks into classic BPF ``(code, jt, jf, k)``."""
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    labels, index = {}, 0
    for item in program:
        if item[0] == "label":
            labels[item[1]] = index
        else:
            index += 1
    code, index = [], 0
    for item in program:
        kind = item[0]
        if kind == "label":
            continue
        if kind == "load":
            code.append((ld, 0, 0, item[1]))
        elif kind == "return":
            code.append((ret, 0, 0, item[1]))
        else:   # a conditional jump to a label, falling through otherwise
            offset = labels[item[2]] - index - 1
            code.append((jeq if kind == "jump-if-equal" else jge, offset, 0, item[1]))
        index += 1
    return code


def install_seccomp(protected: tuple[int, ...] = (), own_group: int = 0, *,
                    shared_ipc: bool = True) -> bool:
    """Install the worker's seccomp filter (see the module's docstring); True when it is in.

    ``shared_ipc``: the process shares the machine's IPC namespace, so System V IPC and POSIX
    message queues are refused too.

    ``protected`` are pids that no signal may reach (the zygote, its keeper, the grader);
    ``own_group`` is the worker's process group, which ``kill(-own_group)`` may still
    signal. Calls from a foreign architecture (32-bit ``int 0x80``, x32) fail with ENOSYS.
    Existing sockets (the protocol channel) keep working. Needs no privileges (no_new_privs
    is set). The filter holds for everything the worker starts.

    Only the low 32 bits of a pid argument count (the kernel reads a ``pid_t``), so the
    filter compares exactly those.
    """
    machine = os.uname().machine if hasattr(os, "uname") else ""   # not platform: ~4 ms
    arch = SECCOMP_ARCHES.get(machine)
    if LIBC is None or arch is None:
        return False
    audit_arch, numbers = arch
    refused = dict(KEYRINGS[machine])
    if shared_ipc:
        refused.update(SHARED_IPC[machine])
    low_word = 16 if sys.byteorder == "little" else 20   # seccomp_data.args[0], low half
    program: list = [
        ("load", 4), ("jump-if-equal", audit_arch, "native"),
        ("return", SECCOMP_RET_ERRNO | ENOSYS),
        ("label", "native"), ("load", 0),
        ("jump-if-above-or-equal", 0x40000000, "eacces"),        # x32 system calls
        *[("jump-if-equal", numbers[name], "eacces") for name in NO_NETWORK],
        *[("jump-if-equal", numbers[name], "eperm") for name in NO_REACH],
        *[("jump-if-equal", number, "eperm") for number in sorted(refused.values())],
        *[("jump-if-equal", numbers[name], "pid") for name in PID_FIRST],
        ("return", SECCOMP_RET_ALLOW),
        ("label", "pid"), ("load", low_word),
    ]
    if own_group > 0:
        program.append(("jump-if-equal", -own_group & 0xFFFFFFFF, "allow"))
    program.append(("jump-if-above-or-equal", 0x80000000, "eperm"))   # groups, -1
    program += [("jump-if-equal", pid, "eperm") for pid in sorted(set(protected)) if pid > 0]
    program += [("label", "allow"), ("return", SECCOMP_RET_ALLOW),
                ("label", "eperm"), ("return", SECCOMP_RET_ERRNO | EPERM),
                ("label", "eacces"), ("return", SECCOMP_RET_ERRNO | EACCES)]
    code = _bpf(program)
    raw = b"".join(struct.pack("=HBBI", *insn) for insn in code)
    filters = ctypes.create_string_buffer(raw, len(raw))
    prog = struct.pack("@HP", len(code), ctypes.addressof(filters))
    prog_buffer = ctypes.create_string_buffer(prog, len(prog))
    if not set_no_new_privs():
        return False
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER,
                  ctypes.addressof(prog_buffer))
