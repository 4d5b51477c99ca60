"""Writing forged frames into every socket the worker holds (the protocol channel)."""

import os
import stat
import struct


def good(x):
    return 2 * x


def forge(x):
    fake = struct.pack("<4sIQ", b"GCW1", 20, 10**10) + b'{"status": "ok", "id": 1}'
    for fd in range(3, 256):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.write(fd, fake)
        except OSError:
            pass
    return 2 * x


def garbage(x):
    for fd in range(3, 256):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.write(fd, b"this is not a frame" * 10)
        except OSError:
            pass
    return 2 * x


def _sockets():
    for fd in range(3, 256):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                yield fd
        except OSError:
            pass


def deep(x):
    header = b"[" * 200000 + b"]" * 200000     # JSON nested deeper than any parser recurses
    for fd in _sockets():
        os.write(fd, struct.pack("<4sIQ", b"GCW1", len(header), 0) + header)
    return 2 * x
