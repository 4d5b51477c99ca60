"""The worker's channel and the conversion of what a student returns, without a worker: frames,
caps, no pickle; values as float64 or Invalid with a reason; output and environment cleaning."""

from __future__ import annotations

import io
import json
import signal
import socket

import numpy as np
import pytest

from gradcheck.sandbox.child.protocol import PREFIX, Channel, ProtocolError, TooLarge, encode
from gradcheck.sandbox.child.values import Invalid, to_array, to_arrays
from gradcheck.sandbox.confine import clean_environment
from gradcheck.sandbox.limits import CallOutcome, clean_output, describe_exit


def test_protocol_round_trip_and_caps():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        sender, receiver = Channel(ours), Channel(theirs)
        arrays = [np.arange(6.0).reshape(2, 3), np.array(1.5)]
        sender.send({"op": "call", "name": "f"}, arrays, raw=b"source")
        header, raw, received = receiver.receive(max_payload=1 << 20)
        assert header["op"] == "call" and raw == b"source"
        assert all(np.array_equal(a, b) for a, b in zip(arrays, received, strict=True))
        sender.send({"op": "big"}, [np.zeros(1000)])
        with pytest.raises(TooLarge):
            receiver.receive(max_payload=100)
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.sendall(b"XXXX" + encode({"op": "x"})[4:])
        with pytest.raises(ProtocolError, match="magic"):
            Channel(theirs).receive(max_payload=100)


def test_protocol_refuses_pickled_arrays():
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.array([None, 1], dtype=object), allow_pickle=True)
    blob = buffer.getvalue()
    header = json.dumps({"op": "call", "arrays": [len(blob)], "raw": 0}).encode()
    frame = PREFIX.pack(b"GCW1", len(header), len(blob)) + header + blob
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.sendall(frame)
        with pytest.raises(ProtocolError, match="malformed array"):
            Channel(theirs).receive(max_payload=1 << 20)


@pytest.mark.parametrize(("value", "words"), [
    (None, "returned None"), ("1.0", "returned a str"), (1j, "complex"),
    ([[1.0], [1.0, 2.0]], "ragged"), ([1.0, None], "holding None"), (object(), "an object"),
    (np.array(["a"]), "text"), (10**400, "an int"), (np.zeros(200), "too large"),
])
def test_conversion_refuses_what_is_not_numbers(value, words):
    with pytest.raises(Invalid, match=words):
        to_array(value, "f", max_bytes=1000)


def test_conversion_of_numbers():
    converted = to_array(np.arange(3, dtype=np.int8), "f", 1000)
    assert converted.dtype == np.float64 and converted.tolist() == [0.0, 1.0, 2.0]
    assert to_arrays(np.ones((2, 3)), 2, "f", 1000)[1].shape == (3,)
    assert to_arrays([5.0], 1, "f", 1000)[0] == 5.0
    assert to_arrays(np.ones(3), 1, "f", 1000)[0].shape == (3,)
    with pytest.raises(Invalid, match="returned 3 results; expected 2"):
        to_arrays([1, 2, 3], 2, "f", 1000)


def test_clean_output_and_exit_descriptions():
    assert clean_output(b"ok\x1b[1mbold\x1b[0m\r\n\xff") == "okbold\n\ufffd"
    assert clean_output(b"abc", total=10).endswith("[output truncated: 7 more bytes not shown]")
    assert describe_exit(signal.SIGSEGV) == (
        "crashed", "the worker was killed by SIGSEGV (a segmentation fault)")
    assert describe_exit(signal.SIGXCPU)[0] == "timeout"
    assert describe_exit(3 << 8) == ("crashed", "os._exit(3) or a C-level exit ended the worker")
    assert CallOutcome("ok").ok and not CallOutcome("error").ok


def test_clean_environment_is_an_allow_list():
    env = clean_environment({"PATH": "/usr/bin", "LANG": "C.UTF-8", "LC_ALL": "C",
                             "GITHUB_TOKEN": "x", "AWS_ACCESS_KEY_ID": "y", "PYTHONPATH": "/z",
                             "HOME": "/root", "SSH_AUTH_SOCK": "/s"}, home="/scratch")
    assert env["HOME"] == "/scratch" and env["PATH"] == "/usr/bin" and env["LC_ALL"] == "C"
    assert not {"GITHUB_TOKEN", "AWS_ACCESS_KEY_ID", "PYTHONPATH", "SSH_AUTH_SOCK"} & set(env)
    assert env["PYTHONHASHSEED"] == "0" and env["OMP_NUM_THREADS"] == "1"
