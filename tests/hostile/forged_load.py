"""Forging the worker's reply to loading: definitions of the wrong shape, then a quick exit."""

import json
import os
import stat
import struct

SHAPES = {"list": [], "kind": {"kind": "lambda", "line": 1, "params": []},
          "line": {"kind": "function", "line": True, "params": ["x"]},
          "params": {"kind": "function", "line": 3, "params": [1, 2]}}
WHICH = "list"   # replaced by the test


def good(x):
    return 2 * x


_reply = json.dumps({"id": 1, "status": "ok", "defs": {"good": SHAPES[WHICH]}, "arrays": [],
                     "raw": 0}).encode()
for _fd in range(3, 256):
    try:
        if stat.S_ISSOCK(os.fstat(_fd).st_mode):
            os.write(_fd, struct.pack("<4sIQ", b"GCW1", len(_reply), 0) + _reply)
    except OSError:
        pass
os._exit(0)
