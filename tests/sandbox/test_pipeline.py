"""Pipelined requests (Session.pipeline) give the outcomes of one-by-one calls, keep per-call
timeouts, recover from crashes, stop where asked; the fast .npy path writes numpy's bytes."""

import io
import textwrap

import numpy as np
import pytest

from gradcheck.errors import UsageError
from gradcheck.sandbox import Limits, Request, Sandbox
from gradcheck.sandbox.child import protocol

MODULE = textwrap.dedent("""
    import os
    import time

    calls = []

    def double(x):
        calls.append(float(x))
        return 2 * x

    def twice(x):
        return 2 * x

    def huge(x):
        return x + __import__("numpy").zeros(300_000)

    def count(x):
        return float(len(calls))

    def pair(x, y):
        return x + y, x * y

    def shout(x):
        print("value", float(x))
        return x

    def broken(x):
        return 1 / 0

    def text(x):
        return "no numbers"

    def todo(x):
        raise NotImplementedError

    def slow(x):
        if x > 0:
            time.sleep(30)
        return x

    def dies(x):
        if x > 0:
            os._exit(3)
        return x

    class Mul:
        def forward(self, a, b):
            self.a, self.b = a, b
            return a * b

        def backward(self, g):
            return g * self.b, g * self.a
""")


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(limits=Limits(call_timeout=2, load_timeout=5)) as sandbox:
        yield sandbox


@pytest.fixture
def session(sandbox, tmp_path):
    path = tmp_path / "sheet.py"
    path.write_text(MODULE)
    with sandbox.open(path) as session:
        yield session


def _plain(outcome):
    value = outcome.value
    if isinstance(value, tuple):
        value = [v.tolist() if isinstance(v, np.ndarray) else [w.tolist() for w in v]
                 for v in value]
    elif value is not None:
        value = value.tolist()
    return outcome.status, value, outcome.message


def test_pipeline_gives_the_outcomes_of_single_calls(session):
    a, b, g = np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([1.0, -1.0])
    requests = [Request.call("double", [np.array(1.5)]), Request.call("pair", [a, b], arity=2),
                Request.call("broken", [a]), Request.call("text", [a]),
                Request.call("missing", [a]), Request.node("Mul", [a, b], g),
                Request.call("pair", [a, b], arity=3), Request.call("count", [a])]
    piped = session.pipeline(requests)
    single = [session.call("double", [np.array(1.5)]), session.call("pair", [a, b], arity=2),
              session.call("broken", [a]), session.call("text", [a]),
              session.call("missing", [a]), session.node("Mul", [a, b], g),
              session.call("pair", [a, b], arity=3), session.call("count", [a])]
    assert [o.status for o in piped] == ["ok", "ok", "error", "invalid", "missing", "ok",
                                         "invalid", "ok"]
    assert [_plain(o) for o in piped[:-1]] == [_plain(o) for o in single[:-1]]
    assert piped[-1].value == 1.0 and single[-1].value == 2.0   # one worker, in order
    out, (ga, gb) = piped[5].value
    assert out.tolist() == [3.0, 8.0] and ga.tolist() == [3.0, -4.0] and gb.tolist() == [1.0, -2.0]


def test_many_requests_and_large_inputs_do_not_block(session):
    big = np.arange(40_000, dtype=float)             # 320 kB per request: beyond the window
    outcomes = session.pipeline([Request.call("twice", [big + k]) for k in range(6)]
                                + [Request.call("twice", [np.array(float(k))])
                                   for k in range(100)])
    assert all(o.status == "ok" for o in outcomes)
    assert [float(o.value[1]) for o in outcomes[:6]] == [2.0 * (1 + k) for k in range(6)]
    assert [float(o.value) for o in outcomes[6:]] == [2.0 * k for k in range(100)]
    replies = session.pipeline([Request.call("huge", [np.array(float(k))]) for k in range(20)])
    assert [float(o.value[-1]) for o in replies] == [float(k) for k in range(20)]


def test_stop_ends_the_list_and_the_session_stays_in_step(session):
    requests = [Request.call("double", [np.array(1.0)]), Request.call("todo", [np.array(1.0)])]
    requests += [Request.call("double", [np.array(float(k))]) for k in range(5)]
    outcomes = session.pipeline(requests, stop=("not implemented",))
    assert [o.status for o in outcomes] == ["ok", "not implemented"]
    after = session.call("double", [np.array(21.0)])
    assert after.status == "ok" and after.value == 42.0


def test_each_request_has_its_own_timeout(sandbox, tmp_path):
    path = tmp_path / "sheet.py"
    path.write_text(MODULE)
    with sandbox.open(path) as session:
        requests = [Request.call("slow", [np.array(0.0)]),
                    Request.call("slow", [np.array(1.0)], timeout=0.3),
                    Request.call("slow", [np.array(0.0)]), Request.call("count", [np.array(0.0)])]
        outcomes = session.pipeline(requests)
        assert [o.status for o in outcomes] == ["ok", "timeout", "ok", "ok"]
        assert "0.3 s" in outcomes[1].message
        assert outcomes[3].value == 0.0               # a fresh worker answered the rest
        stopped = session.pipeline(requests, stop=("timeout",))
        assert [o.status for o in stopped] == ["ok", "timeout"]


def test_a_crash_costs_only_its_request(session):
    requests = [Request.call("double", [np.array(1.0)]), Request.call("dies", [np.array(1.0)]),
                Request.call("double", [np.array(2.0)]), Request.call("dies", [np.array(0.0)])]
    outcomes = session.pipeline(requests)
    assert [o.status for o in outcomes] == ["ok", "crashed", "ok", "ok"]
    assert "os._exit(3)" in outcomes[1].message
    assert outcomes[2].value == 4.0


def test_output_arrives_with_the_last_outcome(session):
    outcomes = session.pipeline([Request.call("shout", [np.array(float(k))]) for k in range(3)])
    assert [o.output for o in outcomes[:2]] == ["", ""]
    assert outcomes[2].output == "value 0.0\nvalue 1.0\nvalue 2.0\n"


def test_a_submission_that_did_not_load(sandbox, tmp_path):
    path = tmp_path / "sheet.py"
    path.write_text("def f(x):\n    return x +\n")
    with sandbox.open(path) as session:
        outcomes = session.pipeline([Request.call("f", [np.array(1.0)])] * 3)
    assert [o.status for o in outcomes] == ["error"] * 3
    assert "did not load" in outcomes[0].message


def test_requests_are_checked():
    with pytest.raises(UsageError):
        Request.call("f", [np.array(1.0)], arity=0)
    with pytest.raises(UsageError):
        Request.call("f", [np.array(["a"])])


def _numpy_npy(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


@pytest.mark.parametrize("shape", [(), (1,), (3,), (2, 3), (0,), (0, 3), (4, 3, 2),
                                   (1, 1, 1, 1, 1), (7, 300)])
def test_fast_npy_path_writes_and_reads_numpys_bytes(shape):
    array = np.asarray(np.random.default_rng(0).normal(size=shape))
    blob = protocol.npy_bytes(array)
    assert blob == _numpy_npy(array)
    _raw, [back] = protocol.decode_payload({"arrays": [len(blob)], "raw": 0}, blob)
    assert back.shape == array.shape and back.dtype == np.float64
    assert np.array_equal(back, array) and back.flags.writeable and back.flags.owndata


@pytest.mark.parametrize("array", [np.arange(3), np.ones((2, 3)).T, np.ones(3, dtype=">f8"),
                                   np.ones(2, dtype=np.float32), np.array([True])])
def test_other_arrays_go_through_numpy(array):
    blob = protocol.npy_bytes(array)
    assert blob == _numpy_npy(array)
    _raw, [back] = protocol.decode_payload({"arrays": [len(blob)], "raw": 0}, blob)
    assert back.dtype == array.dtype and np.array_equal(back, array)


def test_a_truncated_array_is_refused():
    blob = _numpy_npy(np.ones(3))[:-8]
    with pytest.raises(protocol.ProtocolError):
        protocol.decode_payload({"arrays": [len(blob)], "raw": 0}, blob)
