"""Calling a layer pair in the worker: ``X_forward`` then ``X_backward`` with its own cache.

Part of the standalone worker (standard library + numpy, never imports ``gradcheck``).
The cache that the forward function returns never leaves this process: it is handed back
to the backward function as it is, and only the outputs and the gradients are sent.

A ``layer`` request's header names ``forward`` and ``backward`` and says how many ``outputs``
the forward function returns before its cache (their ``names`` for messages), how many
``grads`` the backward function returns (their ``grad_names`` for messages), and the
``params`` passed after the inputs; its arrays are the inputs, then one upstream gradient
per output. The gradients go back item by item, however many the backward returned
(``values.gradients``): the grader counts them.
"""

from __future__ import annotations


def _names(header: dict, count: int) -> list[str]:
    names = header.get("names")
    if isinstance(names, list) and len(names) == count and all(isinstance(n, str)
                                                              for n in names):
        return names
    return ["out"] if count == 1 else [f"out{i + 1}" for i in range(count)]


def run(submission, header: dict, arrays: list):
    """Reply header and arrays (the outputs, then the gradients) for one layer request."""
    forward_name, backward_name = str(header.get("forward")), str(header.get("backward"))
    outputs, grads = int(header.get("outputs", 1)), int(header.get("grads", 1))
    params = header.get("params") if isinstance(header.get("params"), list) else []
    inputs, douts = arrays[:len(arrays) - outputs], arrays[len(arrays) - outputs:]
    names = _names(header, outputs)
    forward, missing = submission._lookup(forward_name, want_class=False)
    if missing:
        return missing, []
    backward, missing = submission._lookup(backward_name, want_class=False)
    if missing:
        return missing, []
    argument = submission.values.argument
    result, failed = submission._run(forward, [argument(a) for a in inputs] + list(params),
                                     forward_name)
    if failed:
        return failed, []
    expected = "(" + ", ".join([*names, "cache"]) + ")"
    if isinstance(result, (tuple, list)):   # a subclass's own __len__/__iter__ may fail
        result, failed = submission._run(lambda r: list(tuple.__iter__(r)) if isinstance(
            r, tuple) else list(list.__iter__(r)), [result], f"reading what {forward_name} "
            "returned")
        if failed:
            return failed, []
    if not isinstance(result, (tuple, list)):
        return _invalid(f"{forward_name} returned {submission.values.describe(result)}, not "
                        f"{expected}: return the cache too, e.g. `return "
                        f"{', '.join([*names, 'cache'])}`"), []
    if len(result) != outputs + 1:
        hint = " (the cache is missing?)" if len(result) == outputs else ""
        return _invalid(f"{forward_name} returned {len(result)} items, not "
                        f"{expected}{hint}"), []
    values = []
    for name, value in zip(names, result[:outputs], strict=True):
        header_, converted = submission._convert(value, None, f"{forward_name} ({name})")
        if header_["status"] != "ok":
            if header_["status"] == "invalid":
                header_["message"] += f"; {forward_name} returns {expected} in this order"
            return header_, []
        values += converted
    cache = result[outputs]
    gradients, failed = submission._run(backward, [argument(d) for d in douts] + [cache],
                                        backward_name)
    if failed:
        return failed, []
    reply, converted = submission._gradients(gradients, grads, backward_name,
                                             header.get("grad_names"))
    if reply["status"] != "ok":
        return reply, []
    return {"status": "ok"}, values + converted


def _invalid(message: str) -> dict:
    return {"status": "invalid", "message": message}
