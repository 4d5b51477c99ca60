"""Many requests to one worker without waiting for each reply: :meth:`Session.pipeline`.

Asked one at a time, every call into a submission costs a round trip: the parent sends, the
worker wakes up, answers, the parent wakes up. On a small machine the two wake-ups cost more
than the call itself. A pipeline sends up to :data:`WINDOW` requests ahead and reads the
replies in order. The worker answers them one after the other, exactly as it answers single
requests, so results do not change; only the waiting goes.

What stays the same as with :meth:`Session.call` / :meth:`Session.node`:

- every request has its own timeout, counted from the moment the worker could start on it
  (the later of sending it and receiving the previous reply), so a slow call never eats into
  the next one's time;
- after a timeout, a crash or a garbled reply the worker is killed, and the requests not yet
  answered go to a fresh worker (the module loaded again), as the next call would;
- ``stop``: after an outcome with one of these statuses nothing more is asked (replies to
  requests already sent are read and dropped), and the list of outcomes ends there;
- the session's limits: no fresh worker after ``Limits.restarts`` crashes, and no request
  runs past the session's time budget (``Limits.session_timeout``).

What differs: printed output is read when a pipeline ends, fails or stops, so it appears on
that outcome (together with what earlier requests of the pipeline printed) instead of on
each one.

>>> import numpy as np
>>> Request.call("d_1a", [np.array(1.0)]).header
{'op': 'call', 'name': 'd_1a', 'arity': None}
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from gradcheck.errors import SandboxError, UsageError
from gradcheck.sandbox.child.protocol import MAX_GRADIENTS
from gradcheck.sandbox.limits import (
    ERROR,
    TIMEOUT,
    CallOutcome,
    Limits,
    LoadReport,
    check_timeout,
)
from gradcheck.sandbox.zygote import Reply, WorkerHandle

# numpy is imported where arrays are handled, not with this module: the grader starts the
# sandbox's zygote (which imports numpy) before it imports numpy itself, so both run at once.
if TYPE_CHECKING:
    import numpy as np


class Session(Protocol):
    """What the pipeline needs of a session (:class:`gradcheck.sandbox.session.Session`,
    which runs its pipelines here): its lock and state, a ready worker, and outcomes."""

    limits: Limits
    load: LoadReport
    time_left: float
    _lock: threading.Lock
    _closed: bool
    _spent: float

    def _ready(self, timeout: float) -> tuple[WorkerHandle | None, CallOutcome | None]: ...

    def out_of_time(self, what: str = "") -> CallOutcome: ...

    def _outcome(self, worker: WorkerHandle, reply: Reply, request: Request, timeout: float,
                 output: str) -> CallOutcome: ...

WINDOW = 32                 # requests in flight at most
WINDOW_BYTES = 32 << 10     # bytes of input arrays in flight at most (beyond the first request)


@dataclass(frozen=True)
class Request:
    """One ``call`` or ``node`` request; build it with :meth:`call` or :meth:`node`."""

    header: dict
    arrays: tuple[np.ndarray, ...]
    expected: int
    what: str
    arity: int | None = None
    timeout: float | None = None

    def __post_init__(self) -> None:
        if self.timeout is not None:
            check_timeout(self.timeout)

    @classmethod
    def call(cls, name: str, args: Sequence[np.ndarray], *, arity: int | None = None,
             timeout: float | None = None, params: Sequence = ()) -> Request:
        """``name(*args, *params)``; the outcome's value as :meth:`Session.call` gives it.
        ``params``: plain JSON values (numbers, text, lists, dicts) passed after the arrays."""
        if arity is not None and (not isinstance(arity, int) or arity < 1):
            raise UsageError(f"arity must be a positive int or None, not {arity!r}")
        header = {"op": "call", "name": name, "arity": arity}
        if params:
            header["params"] = list(params)
        return cls(header, tuple(checked_input(a) for a in args),
                   1 if arity is None else arity, f"calling {name}", arity, timeout)

    @classmethod
    def node(cls, name: str, inputs: Sequence[np.ndarray], grad_output: np.ndarray, *,
             timeout: float | None = None, params: Sequence = (),
             grads: int | None = None, grad_names: Sequence[str] = ()) -> Request:
        """``cls().forward(*inputs, *params)`` and ``.backward(grad_output)``, as
        :meth:`Session.node`; ``grads``: how many gradients backward returns (default: one
        per input; fewer when some inputs are data); ``grad_names`` name them in messages.
        The reply holds the gradients backward returned, however many (see :meth:`fits`)."""
        arrays = tuple(checked_input(a) for a in [*inputs, grad_output])
        header = {"op": "node", "name": name}
        if params:
            header["params"] = list(params)
        if grads is not None and grads != len(inputs):
            header["grads"] = grads
        if grad_names:
            header["grad_names"] = [str(n) for n in grad_names]
        count = len(inputs) if grads is None else grads
        return cls(header, arrays, count + 1, f"running {name}", None, timeout)

    @classmethod
    def layer(cls, forward: str, backward: str, inputs: Sequence[np.ndarray],
              douts: Sequence[np.ndarray], *, grads: int, names: Sequence[str] = (),
              params: Sequence = (), timeout: float | None = None,
              grad_names: Sequence[str] = ()) -> Request:
        """``*outs, cache = forward(*inputs, *params)``, then ``backward(*douts, cache)``
        returning ``grads`` gradients; the cache stays in the worker. The outcome's value is
        the tuple of outputs (one per dout) and then the gradients (as many as backward
        returned). ``names`` name the outputs in messages, ``grad_names`` the gradients."""
        if not isinstance(grads, int) or grads < 1 or not douts:
            raise UsageError("a layer request needs an upstream gradient per output and "
                             "grads >= 1")
        header = {"op": "layer", "forward": forward, "backward": backward,
                  "outputs": len(douts), "grads": grads}
        if names:
            header["names"] = list(names)
        if grad_names:
            header["grad_names"] = [str(n) for n in grad_names]
        if params:
            header["params"] = list(params)
        arrays = tuple(checked_input(a) for a in [*inputs, *douts])
        return cls(header, arrays, len(douts) + grads, f"running {forward} and {backward}",
                   len(douts) + grads, timeout)

    @property
    def size(self) -> int:
        return sum(a.nbytes for a in self.arrays) + 256

    def timeout_in(self, limits: Limits) -> float:
        """This request's timeout in seconds: its own, else ``limits.call_timeout``.

        >>> Request.call("f", [1.0]).timeout_in(Limits(call_timeout=2))
        2.0
        """
        return float(limits.call_timeout if self.timeout is None else self.timeout)

    def fits(self, count: int) -> bool:
        """Whether an "ok" reply may hold ``count`` arrays: exactly :attr:`expected`, but
        for a node or a layer the forward values and then whatever number of gradients its
        backward returned, up to ``MAX_GRADIENTS`` (the grader counts them).

        >>> import numpy as np
        >>> node = Request.node("Mul", [np.ones(2), np.ones(2)], np.ones(2))
        >>> node.expected, node.fits(2), node.fits(4), Request.call("f", [1.0]).fits(2)
        (3, True, True, False)
        """
        op = self.header["op"]
        if op not in ("node", "layer"):
            return count == self.expected
        first = 1 if op == "node" else int(self.header["outputs"])
        return first <= count <= first + MAX_GRADIENTS

    def shape(self, values: list[np.ndarray]):
        """The arrays of an "ok" reply as the outcome's value: one array, a k-tuple, or
        ``(out, grads)`` for a node.

        >>> import numpy as np
        >>> Request.call("f", [1.0], arity=2).shape([np.zeros(1), np.ones(1)])
        (array([0.]), array([1.]))
        """
        if self.header["op"] == "node":
            return values[0], tuple(values[1:])
        return values[0] if self.arity is None else tuple(values)


def run(session: Session, requests: Sequence[Request], stop: Iterable[str] = ()
        ) -> list[CallOutcome]:
    """The outcomes of ``requests`` in order, cut after the first whose status is in ``stop``
    (:meth:`Session.pipeline` calls this).

    >>> run(session, [Request.call("todo", [np.array(1.0)])] * 3,
    ...     stop=("not implemented",))                                # doctest: +SKIP
    [CallOutcome(status='not implemented', ...)]
    """
    stop = frozenset(stop)
    outcomes: list[CallOutcome] = []
    limits = session.limits
    with session._lock:
        if session._closed:
            raise SandboxError("the session is closed")
        while len(outcomes) < len(requests):
            if outcomes and outcomes[-1].status in stop:
                break
            request = requests[len(outcomes)]
            if not session.load.ok:
                outcomes.append(CallOutcome(
                    ERROR, message=f"the submission did not load: {session.load.error}"))
                continue
            if session.time_left <= 0:
                outcomes.append(session.out_of_time())
                continue
            worker, failed = session._ready(request.timeout_in(limits))
            if worker is None:
                outcomes.append(failed)
                continue
            started = time.monotonic()
            try:
                outcomes += _flight(session, worker, requests[len(outcomes):], stop,
                                    started + session.time_left)
            finally:
                session._spent += time.monotonic() - started
    return outcomes


def _room(todo: Sequence[Request], sent: int, inflight: int, batch: int, held: int) -> bool:
    """May one more request of ``todo`` be sent now? Always when nothing is in flight, else
    while the window has room for it (requests and bytes)."""
    if sent + batch >= len(todo):
        return False
    if not (inflight or batch):
        return True
    return inflight + batch < WINDOW and held + todo[sent + batch].size <= WINDOW_BYTES


def _flight(session: Session, worker: WorkerHandle, todo: Sequence[Request],
            stop: frozenset[str], deadline: float) -> list[CallOutcome]:
    """Outcomes from one worker: all of ``todo``, or up to a stop, or up to a failure that
    killed the worker (the caller starts a fresh one for the rest). No request runs past
    ``deadline`` (monotonic), the end of the session's time."""
    limits = session.limits
    inflight: deque[tuple[Request, int, float, float]] = deque()
    outcomes: list[CallOutcome] = []
    sent = held = unread = 0  # requests sent; bytes of input in flight; outputs not read
    broken = False            # a send failed: the worker is gone
    ready = time.monotonic()  # when the worker could start on the next request
    while len(outcomes) < len(todo):
        batch: list[tuple[Request, float]] = []    # sent together, in one write
        while not broken and _room(todo, sent, len(inflight), len(batch), held):
            request = todo[sent + len(batch)]
            batch.append((request, request.timeout_in(limits)))
            held += request.size
        if batch:
            now = time.monotonic()
            ids = worker.send_many([(r.header, t, r.arrays) for r, t in batch])
            if ids is None:
                broken = True
                held -= sum(r.size for r, _ in batch)
            else:
                inflight.extend((r, i, now, t) for (r, t), i in zip(batch, ids, strict=True))
                sent += len(batch)
        if inflight:
            request, request_id, sent_at, timeout = inflight.popleft()
            held -= request.size
            start = max(sent_at, ready)
            budget = min(timeout, max(deadline - start, 0.0))
            reply = worker.receive(request_id, start=start, timeout=budget,
                                   max_payload=limits.result_size)
            ready = time.monotonic()
        else:   # the worker died before this request could be sent
            request = todo[sent]
            timeout = budget = request.timeout_in(limits)
            reply = Reply("died")
        outcome = session._outcome(worker, reply, request, budget, "")
        if outcome.status == TIMEOUT and budget < timeout:
            outcome = dataclasses.replace(
                outcome, message=session.out_of_time(request.what).message)
        unread += 1
        if worker.dead or outcome.status in stop or len(outcomes) + 1 == len(todo):
            output = worker.read_output(limits.output * unread)
            unread = 0
            outcome = dataclasses.replace(outcome, output=output)
        outcomes.append(outcome)
        if worker.dead:
            break
        if outcome.status in stop:
            _drain(worker, inflight, limits.result_size)
            break
    return outcomes


def _drain(worker: WorkerHandle, inflight: deque, max_payload: int) -> None:
    """Read and drop the replies to requests sent before a stop; kill a worker that fails."""
    ready = time.monotonic()
    while inflight:
        _request, request_id, sent_at, timeout = inflight.popleft()
        reply = worker.receive(request_id, start=max(sent_at, ready), timeout=timeout,
                               max_payload=max_payload)
        ready = time.monotonic()
        if reply.kind != "reply":
            worker.kill()
            return
    worker.read_output(0)


def checked_input(array) -> np.ndarray:
    """An input array for the worker: numbers only (UsageError otherwise).

    >>> checked_input([1, 2]).dtype.kind
    'i'
    """
    import numpy as np

    array = np.asarray(array)
    if array.dtype.kind not in "biuf":
        raise UsageError(f"sandbox inputs must be numeric arrays, not dtype {array.dtype}")
    return array


def is_plain(array) -> bool:
    """A reply array exactly as the worker must send it: a float64 ``numpy.ndarray``.

    >>> import numpy as np
    >>> is_plain(np.zeros(2)), is_plain(np.zeros(2, dtype=np.float32))
    (True, False)
    """
    import numpy as np

    return type(array) is np.ndarray and array.dtype == np.float64
