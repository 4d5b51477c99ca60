"""The frames parent and worker exchange; the same code runs on both sides.

Standard library + numpy only: the worker loads this file by path (it never imports
``gradcheck``), the parent imports it as ``gradcheck.sandbox.child.protocol``.

A frame is ``b"GCW1"``, the JSON header length (u32), the payload length (u64), the JSON
header, then the payload: ``header["raw"]`` bytes of raw data followed by ``.npy`` blobs whose
lengths are listed in ``header["arrays"]``. Arrays are written and read with
``numpy.lib.format`` and ``allow_pickle=False``; nothing is ever pickled. The receiver checks
both lengths against its caps before reading anything more, so an oversized frame is refused
unread.
"""

from __future__ import annotations

import io
import json
import re
import socket
import struct
import time
from typing import TYPE_CHECKING

# numpy is imported where arrays are handled: the parent starts the zygote before it imports
# numpy itself, so that both imports run at once.
if TYPE_CHECKING:
    import numpy as np

MAGIC = b"GCW1"
# A backward's tuple goes back item by item, however many items it has up to this many (the
# grader counts them against the inputs); a node or layer reply may hold that many gradients.
MAX_GRADIENTS = 64
PREFIX = struct.Struct("<4sIQ")
MAX_HEADER = 8 << 20
CHUNK = 1 << 16

# The .npy header numpy writes for a C-ordered little-endian float64 array (format 1.0), the
# one kind of array nearly every request and reply carries. Writing and reading exactly this
# form directly is ~10x faster than numpy.lib.format (whose reader parses the header with
# ast.literal_eval); anything else goes through numpy.lib.format. The bytes are the same.
_NPY_MAGIC = b"\x93NUMPY\x01\x00"
_F8_HEADER = "{'descr': '<f8', 'fortran_order': False, 'shape': %s, }"
_F8_PATTERN = re.compile(rb"\{'descr': '<f8', 'fortran_order': False, "
                         rb"'shape': \((|\d+,|\d+(?:, \d+)+)\), \} *\n")


class ProtocolError(Exception):
    """A frame that is not what the protocol allows."""


class TooLarge(ProtocolError):
    """A frame larger than the receiver accepts (the rest of it is never read)."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"{size} bytes; the limit is {limit}")
        self.size = size
        self.limit = limit


def npy_bytes(array: np.ndarray) -> bytes:
    """One array in ``.npy`` format, pickle refused.

    >>> import numpy as np
    >>> npy_bytes(np.zeros(2))[:18]
    b"\\x93NUMPY\\x01\\x00v\\x00{'descr'"
    """
    import numpy as np

    if type(array) is np.ndarray and array.dtype.str == "<f8" and array.flags.c_contiguous:
        text = _F8_HEADER % (repr(array.shape),)
        header = (text + " " * (-(len(text) + 11) % 64) + "\n").encode("latin1")
        return _NPY_MAGIC + len(header).to_bytes(2, "little") + header + array.tobytes()
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def encode(header: dict, arrays=(), raw: bytes = b"") -> bytes:
    """One frame: header + raw bytes + ``.npy`` blobs.

    >>> frame = encode({"op": "ping"})
    >>> frame[:4]
    b'GCW1'
    """
    blobs = [npy_bytes(a) for a in arrays]
    header = dict(header, arrays=[len(b) for b in blobs], raw=len(raw))
    text = json.dumps(header, separators=(",", ":")).encode()
    payload_length = len(raw) + sum(len(b) for b in blobs)
    return b"".join([PREFIX.pack(MAGIC, len(text), payload_length), text, raw, *blobs])


def decode_header(text: bytes) -> dict:
    """A frame's JSON header as a dict; ProtocolError for anything else.

    Whatever the bytes are (nested a million levels deep, not UTF-8, not JSON), the result
    is a dict or a ProtocolError, never another exception. Strings holding lone surrogates
    (``"\\ud800"``, which JSON allows) come back with those escaped as ``\\ud800``, so
    every string can be encoded as UTF-8 wherever it is shown or written.

    >>> decode_header(b'{"message": "bad \\\\ud800 value"}')["message"]
    'bad \\\\ud800 value'
    >>> decode_header(b"[" * 100000)
    Traceback (most recent call last):
    gradcheck.sandbox.child.protocol.ProtocolError: a header that is not JSON (RecursionError)
    """
    try:
        header = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - RecursionError, MemoryError, ValueError, ...
        detail = f"{exc}" if isinstance(exc, ValueError) else type(exc).__name__
        raise ProtocolError(f"a header that is not JSON ({detail})") from None
    if not isinstance(header, dict):
        raise ProtocolError("a header that is not a JSON object")
    if _MAYBE_SURROGATE.search(text):
        header = _without_surrogates(header)
    return header


# A lone surrogate reaches a decoded string only through a \ud800-\udfff escape or the
# (invalid) UTF-8 bytes of one, which json.loads accepts; most headers hold neither.
_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(value):
    if isinstance(value, str):
        if _SURROGATE.search(value):
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
        return value
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    return value


def decode_payload(header: dict, payload: bytes) -> tuple[bytes, list[np.ndarray]]:
    """Split a payload into its raw bytes and arrays; ProtocolError when it does not add up."""
    sizes = header.get("arrays", [])
    raw_length = header.get("raw", 0)
    if (not isinstance(sizes, list) or not all(type(s) is int and s >= 0 for s in sizes)
            or type(raw_length) is not int or raw_length < 0
            or raw_length + sum(sizes) != len(payload)):
        raise ProtocolError("the payload does not match its header")
    arrays, offset = [], raw_length
    if sizes:
        import numpy as np
    for size in sizes:
        blob = payload[offset:offset + size]
        array = _read_f8(blob)
        if array is None:
            try:
                array = np.lib.format.read_array(io.BytesIO(blob), allow_pickle=False)
            except Exception as exc:  # noqa: BLE001 - any malformed blob
                raise ProtocolError(f"a malformed array ({type(exc).__name__}: {exc})") \
                    from None
        arrays.append(array)
        offset += size
    return payload[:raw_length], arrays


def _read_f8(blob: bytes) -> np.ndarray | None:
    """A writable float64 array from a blob in exactly the form ``npy_bytes`` writes, else
    None (numpy.lib.format then reads, or refuses, it)."""
    if blob[:8] != _NPY_MAGIC or len(blob) < 10:
        return None
    end = 10 + int.from_bytes(blob[8:10], "little")
    match = _F8_PATTERN.fullmatch(blob, 10, end)
    if match is None:
        return None
    shape = tuple(int(n) for n in match.group(1).split(b",") if n.strip())
    count = 1
    for n in shape:
        count *= n
    if len(blob) - end != 8 * count:
        return None
    import numpy as np

    return np.frombuffer(blob, dtype="<f8", offset=end).reshape(shape).copy()


class Channel:
    """Frames over a connected stream socket, with deadlines and size caps on receiving."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = bytearray()
        self.peer_pid: int | None = None

    def send(self, header: dict, arrays=(), raw: bytes = b"", fds=()) -> None:
        data = encode(header, arrays, raw)
        if fds:
            sent = socket.send_fds(self.sock, [data], list(fds))
            data = data[sent:]
        if data:
            self.sock.settimeout(None)
            self.sock.sendall(data)

    def send_frames(self, frames: list[bytes]) -> None:
        """Several encoded frames in one write (one wake-up of the reader, not one each)."""
        self.sock.settimeout(None)
        self.sock.sendall(b"".join(frames))

    def receive(self, *, max_payload: int, deadline: float | None = None, fds: list | None = None,
                credentials: bool = False) -> tuple[dict, bytes, list[np.ndarray]]:
        """One frame: (header, raw bytes, arrays).

        Raises EOFError when the peer closed, TimeoutError at ``deadline`` (a monotonic time),
        TooLarge before reading an oversized frame, ProtocolError for a malformed one.
        ``fds`` collects passed file descriptors; ``credentials`` records the sender's pid
        (SCM_CREDENTIALS, translated into this process's pid namespace) in ``peer_pid``.
        """
        magic, header_length, payload_length = PREFIX.unpack(
            self._read(PREFIX.size, deadline, fds, credentials))
        if magic != MAGIC:
            raise ProtocolError("a frame without the protocol's magic bytes")
        if header_length > MAX_HEADER:
            raise TooLarge(header_length, MAX_HEADER)
        if payload_length > max_payload:
            raise TooLarge(payload_length, max_payload)
        header = decode_header(self._read(header_length, deadline, fds, credentials))
        payload = self._read(payload_length, deadline, fds, credentials)
        raw, arrays = decode_payload(header, payload)
        return header, raw, arrays

    def _read(self, n: int, deadline, fds, credentials) -> bytes:
        while len(self.buffer) < n:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                self.sock.settimeout(remaining)
            else:
                self.sock.settimeout(None)
            try:
                chunk = self._recv(max(CHUNK, min(n - len(self.buffer), 1 << 22)), fds,
                                   credentials)
            except TimeoutError:
                raise TimeoutError from None
            except ConnectionError:
                raise EOFError from None
            if not chunk:
                raise EOFError
            self.buffer += chunk
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        return data

    def _recv(self, size: int, fds, credentials) -> bytes:
        if fds is not None:
            data, received, _flags, _addr = socket.recv_fds(self.sock, size, 4)
            fds.extend(received)
            return data
        if credentials and self.peer_pid is None:
            data, ancillary, _flags, _addr = self.sock.recvmsg(size, socket.CMSG_SPACE(12))
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == getattr(socket, "SCM_CREDENTIALS", -1):
                    self.peer_pid = struct.unpack("=iII", value[:12])[0]
            return data
        return self.sock.recv(size)


DEF_KINDS = ("function", "class", "other")


def load_reply_problem(header: dict) -> str | None:
    """What is wrong with a worker's "ok" reply to loading, or None when it is well formed:
    ``defs`` maps names to entries of the documented shape (``LoadReport.defs``),
    ``warnings`` is a list of text.

    >>> load_reply_problem({"defs": {"f": {"kind": "function", "line": 3, "params": ["x"]}}})
    >>> load_reply_problem({"defs": {"d_1a": []}})
    "a definition of 'd_1a' of an unknown kind"
    """
    defs, warnings = header.get("defs"), header.get("warnings", [])
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        return "warnings that are not a list of text"
    if not isinstance(defs, dict):
        return "no list of definitions"
    for name, entry in defs.items():
        if not isinstance(entry, dict) or entry.get("kind") not in DEF_KINDS:
            return f"a definition of {name[:80]!r} of an unknown kind"
        line = entry.get("line")
        if line is not None and type(line) is not int:
            return f"a definition of {name[:80]!r} with a line that is not a number"
        for key in ("params", "methods"):
            items = entry.get(key)
            if items is not None and not (isinstance(items, list)
                                          and all(isinstance(p, str) for p in items)):
                return f"a definition of {name[:80]!r} whose {key} are not a list of names"
        if "cell" in entry and type(entry["cell"]) is not int:
            return f"a definition of {name[:80]!r} with a cell that is not a number"
    return None
