"""What a student's function returned, as plain float64 arrays (or why it cannot be).

Part of the standalone worker (standard library + numpy, never imports ``gradcheck``).
Conversion happens in the child: whatever the student returns (floats, ints, lists, tuples,
ndarray subclasses with rigged methods) leaves the worker only as the numbers it holds.
"""

from __future__ import annotations

import math

import numpy as np

from .protocol import MAX_GRADIENTS


class Invalid(Exception):
    """A result that is not a number or an array of numbers (status ``invalid``)."""


def describe(value) -> str:
    """What a student's value is, for a message.

    >>> describe(np.zeros((3, 5))), describe(2.0), describe(None), describe({})
    ('an array of shape (3, 5)', 'a float', 'None', 'a dict')
    """
    if value is None:
        return "None"
    if isinstance(value, (complex, np.complexfloating)):
        return "a complex number"
    if isinstance(value, np.ndarray):   # the real shape, whatever a subclass says
        return f"an array of shape {tuple(np.ndarray.view(value, np.ndarray).shape)}"
    article = "an" if type(value).__name__[:1].lower() in "aeiou" else "a"
    return f"{article} {type(value).__name__}"


def to_array(value, what: str, max_bytes: int) -> np.ndarray:
    """``value`` as a plain float64 array, or :class:`Invalid` saying what it was.

    >>> to_array([1, 2.5], "f", 1 << 20)
    array([1. , 2.5])
    """
    if value is None:
        raise Invalid(f"{what} returned None (is a return statement missing?)")
    if isinstance(value, (str, bytes, bytearray, complex, np.complexfloating)):
        raise Invalid(f"{what} returned {describe(value)}")
    if isinstance(value, np.ndarray):
        array = np.ndarray.view(value, np.ndarray)   # the real data, whatever the subclass says
    else:
        try:
            array = np.asarray(value)
        except ValueError as exc:
            if isinstance(value, (list, tuple)):
                raise Invalid(f"{what} returned a ragged {type(value).__name__}"
                              f"{_items(value)}, not one array") from None
            raise Invalid(f"{what} returned {describe(value)} that numpy cannot convert: "
                          f"{exc}") from None
        except Exception as exc:  # noqa: BLE001 - the student's __array__/__len__ failed
            raise Invalid(f"{what} returned {describe(value)} that numpy cannot convert: "
                          f"{type(exc).__name__}: {exc}") from None
    kind = array.dtype.kind
    if kind == "c":
        raise Invalid(f"{what} returned complex numbers")
    if kind == "O" and array.size * 8 <= max_bytes:
        array = _exact_integers(array, what)
        kind = array.dtype.kind
    if kind == "O":
        if isinstance(value, (list, tuple)):
            raise Invalid(f"{what} returned a {type(value).__name__} that is not a numeric "
                          "array (ragged, or holding None or other objects)")
        raise Invalid(f"{what} returned {describe(value)}")
    if kind in "US":
        raise Invalid(f"{what} returned text")
    if kind not in "biuf":
        raise Invalid(f"{what} returned an array of dtype {array.dtype}")
    if array.size * 8 > max_bytes:
        raise Invalid(f"{what} returned a result too large ({array.size * 8} bytes; "
                      f"the limit is {max_bytes})")
    return np.array(array, dtype=np.float64, copy=True)


SHOWN_ITEMS = 4   # a ragged list's items described, at most


def _items(value) -> str:
    """`` of 2 items: an array of shape (4, 2) and a scalar`` for a ragged list or tuple
    ("" when its items cannot be read).

    >>> _items([[1.0], [1.0, 2.0], 3.0])
    ' of 3 items: an array of shape (1,), an array of shape (2,) and a scalar'
    """
    try:
        count = len(value)
        texts = []
        for item in value[:SHOWN_ITEMS]:
            shape = np.shape(item)
            texts.append(f"an array of shape {shape}" if shape else "a scalar")
    except Exception:  # noqa: BLE001 - a rigged item; the message then says less
        return ""
    if count > SHOWN_ITEMS:
        texts.append(f"{count - SHOWN_ITEMS} more")
    listed = ", ".join(texts[:-1]) + " and " + texts[-1] if len(texts) > 1 else "".join(texts)
    return f" of {count} items: {listed}"


def _exact_integers(array: np.ndarray, what: str) -> np.ndarray:
    """An object array of Python integers too wide for int64/uint64 (``2**64``, ``10**400``)
    as float64 when every one fits; :class:`Invalid` naming the first that does not. Any
    other object array is returned as it is.

    >>> _exact_integers(np.array([2**64, 1], dtype=object), "f")
    array([1.84467441e+19, 1.00000000e+00])
    """
    items = array.reshape(-1).tolist()
    if not items or not all(type(v) is int for v in items):
        return array
    converted = []
    for v in items:
        try:
            converted.append(float(v))
        except OverflowError:
            power = int(math.log10(abs(v)))   # exact for big ints, unlike str(v)
            raise Invalid(f"{what} returned an integer too large for a float64 "
                          f"(about 10^{power})") from None
    return np.array(converted, dtype=np.float64).reshape(array.shape)


def to_arrays(value, arity: int | None, what: str, max_bytes: int) -> list[np.ndarray]:
    """One array (``arity`` None) or exactly ``arity`` arrays from a returned value.

    With ``arity`` k the value must be a tuple/list of k items or an array whose first axis
    has length k. With ``arity`` 1 anything but a 1-tuple or 1-list is taken as the one item.

    >>> [a.tolist() for a in to_arrays((1.0, [2, 3]), 2, "f", 1 << 20)]
    [1.0, [2.0, 3.0]]
    """
    if arity is None:
        return [to_array(value, what, max_bytes)]
    single = isinstance(value, (tuple, list)) and len(value) == 1
    if arity == 1 and not single:
        return [to_array(value, what, max_bytes)]
    if isinstance(value, (tuple, list)):
        items = list(value)
    elif isinstance(value, np.ndarray) and value.ndim >= 1:
        items = list(np.ndarray.view(value, np.ndarray))
    else:
        raise Invalid(f"{what} returned {describe(value)}; expected a tuple of {arity} results")
    if len(items) != arity:
        raise Invalid(f"{what} returned {len(items)} results; expected {arity}")
    total = 0
    arrays = []
    for i, item in enumerate(items):
        array = to_array(item, f"{what} (result {i + 1})", max_bytes - total)
        total += array.nbytes
        arrays.append(array)
    return arrays


def gradients(value, count: int, what: str, max_bytes: int,
              names: list | tuple = ()) -> list[np.ndarray]:
    """A backward's gradients as arrays: every item of a returned tuple (or list) as its own
    array, however many there are (up to :data:`MAX_GRADIENTS`). The grader counts them and
    says which were expected; an item that is not numbers is named by ``names[i]``.

    Anything but a tuple or list is one gradient when ``count`` is 1; with ``count`` > 1 an
    array gives its rows when it has ``count`` of them. A list with ``count`` 1 is one
    gradient (a vector written as a list) unless it holds exactly one item.

    >>> [a.tolist() for a in gradients((2.0, 0), 1, "Square.backward", 1 << 20, ["a"])]
    [2.0, 0.0]
    """
    if isinstance(value, list) and count == 1 and len(value) != 1:
        return [to_array(value, what, max_bytes)]
    if isinstance(value, (tuple, list)):
        items = list(value)
        if len(items) > MAX_GRADIENTS:
            raise Invalid(f"{what} returned {len(items)} results; expected {count}")
    elif count == 1:
        return [to_array(value, what, max_bytes)]
    elif isinstance(value, np.ndarray) and value.ndim >= 1 and len(value) == count:
        items = list(np.ndarray.view(value, np.ndarray))
    else:
        raise Invalid(f"{what} returned {describe(value)}; expected a tuple of "
                      f"{count} gradients")
    arrays, total = [], 0
    for i, item in enumerate(items):
        name = str(names[i]) if i < len(names) else f"result {i + 1}"
        array = to_array(item, f"{what} ({name})", max_bytes - total)
        total += array.nbytes
        arrays.append(array)
    return arrays


def argument(array: np.ndarray):
    """A 0-d input arrives as a numpy scalar (``numpy.float64`` is a ``float``)."""
    return array[()] if array.ndim == 0 else array
