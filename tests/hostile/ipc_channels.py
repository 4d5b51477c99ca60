"""State that would outlive a worker, made through ctypes: System V shared memory, a message
queue, a semaphore, a key in the user keyring, a POSIX message queue. ``leave(token)`` stores
a small number in each; ``find(token)`` reads back what it can (another worker, later)."""

import ctypes
import os
import platform

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
IPC_CREAT, IPC_NOWAIT, SETVAL, GETVAL = 0o1000, 0o4000, 16, 12
KEY_SPEC_USER_KEYRING, KEYCTL_SEARCH, KEYCTL_READ = -4, 10, 11
MQ = {"x86_64": (240, 242, 243, 241), "aarch64": (180, 182, 183, 181)}[platform.machine()]
ADD_KEY, KEYCTL = {"x86_64": (248, 250), "aarch64": (217, 219)}[platform.machine()]


class Message(ctypes.Structure):
    _fields_ = [("mtype", ctypes.c_long), ("mtext", ctypes.c_char * 64)]


def _key(token):
    return 0x6C000000 + int(token) % 0xFFFFF


def _name(token):
    return f"gradcheck-leak-{int(token)}".encode()


def _errno(result):
    return "ok" if result >= 0 else os.strerror(ctypes.get_errno())


def leave(token):
    """Store ``token`` in every channel; report which calls worked."""
    key, value = _key(token), int(token) % 30000
    done = {}
    shm = libc.shmget(key, 4096, IPC_CREAT | 0o666)
    done["shmget"] = _errno(shm)
    if shm >= 0:
        libc.shmat.restype = ctypes.c_void_p
        address = libc.shmat(shm, None, 0)
        if address not in (None, ctypes.c_void_p(-1).value):
            ctypes.memmove(address, str(value).encode() + b"\0", 8)
    msq = libc.msgget(key, IPC_CREAT | 0o666)
    done["msgget"] = _errno(msq)
    if msq >= 0:
        message = Message(1, str(value).encode())
        done["msgsnd"] = _errno(libc.msgsnd(msq, ctypes.byref(message), 64, IPC_NOWAIT))
    sem = libc.semget(key, 1, IPC_CREAT | 0o666)
    done["semget"] = _errno(sem)
    if sem >= 0:
        done["semctl"] = _errno(libc.semctl(sem, 0, SETVAL, ctypes.c_int(value)))
    payload = str(value).encode()
    serial = libc.syscall(ADD_KEY, b"user", _name(token), payload, len(payload),
                          KEY_SPEC_USER_KEYRING)
    done["add_key"] = _errno(serial)
    mq = libc.syscall(MQ[0], _name(token), os.O_CREAT | os.O_RDWR, 0o666, None)
    done["mq_open"] = _errno(mq)
    if mq >= 0:
        done["mq_send"] = _errno(libc.syscall(MQ[1], mq, payload, len(payload), 0, None))
    return done


def find(token):
    """What another worker left under ``token``: channel -> the value read."""
    key, found = _key(token), {}
    shm = libc.shmget(key, 0, 0)
    if shm >= 0:
        libc.shmat.restype = ctypes.c_void_p
        address = libc.shmat(shm, None, 0)
        if address not in (None, ctypes.c_void_p(-1).value):
            found["shm"] = ctypes.string_at(address, 8).split(b"\0")[0].decode()
    msq = libc.msgget(key, 0)
    if msq >= 0:
        message = Message()
        if libc.msgrcv(msq, ctypes.byref(message), 64, 0, IPC_NOWAIT) >= 0:
            found["msg"] = message.mtext.decode()
    sem = libc.semget(key, 1, 0)
    if sem >= 0:
        found["sem"] = str(libc.semctl(sem, 0, GETVAL))
    serial = libc.syscall(KEYCTL, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, b"user", _name(token), 0)
    if serial >= 0:
        buffer = ctypes.create_string_buffer(64)
        size = libc.syscall(KEYCTL, KEYCTL_READ, serial, buffer, 64)
        found["key"] = buffer.raw[:max(size, 0)].decode()
    mq = libc.syscall(MQ[0], _name(token), os.O_RDONLY | os.O_NONBLOCK, 0, None)
    if mq >= 0:
        buffer = ctypes.create_string_buffer(8192)
        size = libc.syscall(MQ[2], mq, buffer, 8192, None, None)
        found["mq"] = buffer.raw[:max(size, 0)].decode()
    return found


def d_1c(x):
    """For the batch test: an error naming what another student left, if anything came
    through; else a wrong answer."""
    found = find(424242)
    if found:
        raise RuntimeError(f"found {found}")
    return 0.0


def stash(x):
    """Store ``x`` everywhere; how many of the calls worked (printed: which)."""
    done = leave(int(x))
    print(done)
    return float(sum(v == "ok" for v in done.values()))


def peek(x):
    """How many channels hold something under ``x`` (printed: what)."""
    found = find(int(x))
    print(found)
    return float(len(found))
