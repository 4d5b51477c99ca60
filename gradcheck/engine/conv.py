"""Zero padding, convolution and pooling over batches of images (1-d and 2-d), vectorised.

Layouts as the standard courses use them: inputs ``(N, C, H, W)`` (or ``(N, C, L)``), filters
``(F, C, HH, WW)`` (or ``(F, C, K)``), outputs ``(N, F, H', W')`` with
``H' = (H + 2*pad - HH) // stride + 1``. "Convolution" is the cross-correlation these courses
(and every framework) compute: no flipped kernel; a bias is added in the expression
(``conv2d(x, w, stride=2, pad=1) + reshape(b, (1, -1, 1, 1))``).

Every window is a strided view of the (padded) input, so forward passes are one ``tensordot`` or
one reduction; backward passes add the windows' gradients back with one vectorised step per
kernel offset (at most ``HH * WW`` steps, never one per pixel). Sizes are checked before
anything is allocated: the windows copied for ``tensordot`` and every result against
``MAX_ELEMENTS``, the multiply-adds against ``contraction.MAX_WORK``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from gradcheck.engine.contraction import MAX_WORK
from gradcheck.engine.index import as_integer
from gradcheck.engine.node import Node, Operand, _lift, _make, check_size
from gradcheck.errors import EvaluationError

Sizes = int | Sequence[int]


def _per_dim(value: Sizes, dims: int, what: str, minimum: int) -> tuple[int, ...]:
    items = list(value) if isinstance(value, (tuple, list)) else [value] * dims
    if len(items) != dims:
        raise EvaluationError(f"{what} needs one integer or {dims}, got {value!r}")
    numbers = tuple(as_integer(v, what) for v in items)
    if any(n < minimum for n in numbers):
        raise EvaluationError(f"{what} must be at least {minimum}, got {value!r}")
    return numbers


def _image(x: Node, dims: int, what: str) -> None:
    if x.ndim != dims + 2:
        layout = "(N, C, L)" if dims == 1 else "(N, C, H, W)"
        raise EvaluationError(f"{what}: the input must have shape {layout}, got {x.shape}")


def _out_sizes(spatial: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
               pad: tuple[int, ...], what: str) -> tuple[int, ...]:
    sizes = tuple((n + 2 * p - k) // s + 1
                  for n, k, s, p in zip(spatial, kernel, stride, pad, strict=True))
    if any(n + 2 * p < k for n, k, p in zip(spatial, kernel, pad, strict=True)):
        raise EvaluationError(f"{what}: the window {kernel} is larger than the padded input "
                              f"{tuple(n + 2 * p for n, p in zip(spatial, pad, strict=True))}")
    return sizes


def _padded(value: np.ndarray, pad: tuple[int, ...]) -> np.ndarray:
    if not any(pad):
        return value
    spatial = value.shape[2:]
    out = np.zeros(value.shape[:2] + tuple(n + 2 * p for n, p in zip(spatial, pad, strict=True)))
    inner = tuple(slice(p, p + n) for n, p in zip(spatial, pad, strict=True))
    out[(slice(None), slice(None)) + inner] = value
    return out


def _windows(xp: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...]) -> np.ndarray:
    """A read-only view ``(N, C, *out, *kernel)`` of every window of ``xp`` (no copy)."""
    spatial, steps = xp.shape[2:], xp.strides[2:]
    out = tuple((n - k) // s + 1 for n, k, s in zip(spatial, kernel, stride, strict=True))
    return np.lib.stride_tricks.as_strided(
        xp, xp.shape[:2] + out + kernel,
        xp.strides[:2] + tuple(t * s for t, s in zip(steps, stride, strict=True)) + steps,
        writeable=False)


def _scatter(dwin: np.ndarray, shape: tuple[int, ...], kernel: tuple[int, ...],
             stride: tuple[int, ...], pad: tuple[int, ...]) -> np.ndarray:
    """Add the windows' gradients ``dwin`` (N, C, *out, *kernel) back onto the input."""
    out = dwin.shape[2:2 + len(kernel)]
    grad = np.zeros(shape[:2] + tuple(n + 2 * p for n, p in zip(shape[2:], pad, strict=True)))
    for offset in np.ndindex(*kernel):
        target = tuple(slice(o, o + s * (n - 1) + 1, s)
                       for o, s, n in zip(offset, stride, out, strict=True))
        grad[(slice(None), slice(None)) + target] += dwin[(Ellipsis,) + offset]
    crop = tuple(slice(p, p + n) for p, n in zip(pad, shape[2:], strict=True))
    return grad[(slice(None), slice(None)) + crop]


def _convolve(x: Operand, w: Operand, stride: Sizes, pad: Sizes, dims: int) -> Node:
    what = f"conv{dims}d"
    x, w = _lift(x), _lift(w)
    _image(x, dims, what)
    if w.ndim != dims + 2 or w.shape[1] != x.shape[1]:
        layout = "(F, C, K)" if dims == 1 else "(F, C, HH, WW)"
        raise EvaluationError(f"{what}: the filters must have shape {layout} with C = "
                              f"{x.shape[1]} channels like the input, got {w.shape}")
    strides = _per_dim(stride, dims, f"{what}: stride", 1)
    pads = _per_dim(pad, dims, f"{what}: pad", 0)
    kernel = w.shape[2:]
    out = _out_sizes(x.shape[2:], kernel, strides, pads, what)
    n, f, c = x.shape[0], w.shape[0], x.shape[1]
    check_size(x.shape[:2] + tuple(s + 2 * p for s, p in zip(x.shape[2:], pads, strict=True)),
               what)
    check_size((n, c) + out + kernel, what)  # the windows tensordot copies
    check_size((n, f) + out, what)
    work = n * f * c * math.prod(out) * math.prod(kernel)
    if work > MAX_WORK:
        raise EvaluationError(f"{what}: shapes {x.shape} and {w.shape} take {work} "
                              f"multiply-adds, more than the limit of {MAX_WORK}")
    win = _windows(_padded(x.value, pads), kernel, strides)
    spatial, kernel_axes = list(range(2, 2 + dims)), list(range(2 + dims, 2 + 2 * dims))
    value = np.moveaxis(np.tensordot(win, w.value, axes=([1, *kernel_axes],
                                                         list(range(1, 2 + dims)))), -1, 1)

    def backward(g):
        gx = gw = None
        if w.requires_grad:
            gw = np.tensordot(g, win, axes=([0, *spatial], [0, *spatial]))
        if x.requires_grad:
            dwin = np.moveaxis(np.tensordot(g, w.value, axes=([1], [0])), 1 + dims, 1)
            gx = _scatter(dwin, x.shape, kernel, strides, pads)
        return gx, gw
    return _make(value, (x, w), backward)


def conv1d(x: Operand, w: Operand, stride: Sizes = 1, pad: Sizes = 0) -> Node:
    """1-d convolution (cross-correlation) of ``x`` (N, C, L) with filters ``w`` (F, C, K):
    output (N, F, (L + 2*pad - K) // stride + 1), zero padding on both ends.

    >>> conv1d(np.ones((1, 1, 4)), np.ones((1, 1, 2)), stride=2, pad=1).value
    array([[[1., 2., 1.]]])
    """
    return _convolve(x, w, stride, pad, 1)


def conv2d(x: Operand, w: Operand, stride: Sizes = 1, pad: Sizes = 0) -> Node:
    """2-d convolution (cross-correlation) of images ``x`` (N, C, H, W) with filters ``w``
    (F, C, HH, WW): output (N, F, (H + 2*pad - HH) // stride + 1, (W + 2*pad - WW) // stride + 1).
    ``stride`` and ``pad`` are one integer or one per spatial dimension.

    >>> conv2d(np.ones((2, 3, 5, 5)), np.ones((4, 3, 3, 3)), stride=2, pad=1).shape
    (2, 4, 3, 3)
    """
    return _convolve(x, w, stride, pad, 2)


def _pool(x: Operand, size: Sizes, stride: Sizes | None, dims: int, kind: str) -> Node:
    what = f"{kind}_pool{dims}d"
    x = _lift(x)
    _image(x, dims, what)
    kernel = _per_dim(size, dims, f"{what}: size", 1)
    strides = kernel if stride is None else _per_dim(stride, dims, f"{what}: stride", 1)
    out = _out_sizes(x.shape[2:], kernel, strides, (0,) * dims, what)
    check_size(x.shape[:2] + out + kernel, what)
    if x.size and math.prod(x.shape[:2] + out + kernel) > MAX_WORK:
        raise EvaluationError(f"{what}: shape {x.shape} takes more than {MAX_WORK} steps")
    win = _windows(x.value, kernel, strides)
    flat = win.reshape(win.shape[:2 + dims] + (-1,))
    count = flat.shape[-1]
    if kind == "avg":
        value = flat.mean(axis=-1)
        share = np.full(flat.shape, 1.0 / count)
    else:
        value = flat.max(axis=-1)
        hit = flat == value[..., None]
        share = hit / hit.sum(axis=-1, keepdims=True)  # a tie splits the gradient equally

    def backward(g):
        dwin = (share * g[..., None]).reshape(win.shape)
        return (_scatter(dwin, x.shape, kernel, strides, (0,) * dims),)
    return _make(value, (x,), backward)


def max_pool1d(x: Operand, size: Sizes, stride: Sizes | None = None) -> Node:
    """Maximum over windows of ``size`` (default ``stride``: the size) along the last axis of
    ``x`` (N, C, L); the gradient goes to each window's maximum (shared equally at a tie).

    >>> max_pool1d(np.array([[[1.0, 3.0, 2.0, 0.0]]]), 2).value
    array([[[3., 2.]]])
    """
    return _pool(x, size, stride, 1, "max")


def max_pool2d(x: Operand, size: Sizes, stride: Sizes | None = None) -> Node:
    """Maximum over ``size`` windows (one integer, or (height, width)) of images ``x``
    (N, C, H, W), moved by ``stride`` (default: the size): (N, C, (H - HH) // stride + 1, ...).

    >>> max_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2).value
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """
    return _pool(x, size, stride, 2, "max")


def avg_pool1d(x: Operand, size: Sizes, stride: Sizes | None = None) -> Node:
    """Mean over windows of ``size`` along the last axis of ``x`` (N, C, L).

    >>> avg_pool1d(np.array([[[1.0, 3.0, 2.0, 0.0]]]), 2).value
    array([[[2., 1.]]])
    """
    return _pool(x, size, stride, 1, "avg")


def avg_pool2d(x: Operand, size: Sizes, stride: Sizes | None = None) -> Node:
    """Mean over ``size`` windows of images ``x`` (N, C, H, W), moved by ``stride``.

    >>> avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2).value
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """
    return _pool(x, size, stride, 2, "avg")


def pad(x: Operand, width: Sizes | Sequence[Sequence[int]]) -> Node:
    """Zero padding, like ``np.pad(x, width)``: one integer for every side of every axis, or
    one ``(before, after)`` pair per axis.

    >>> pad(np.ones((1, 2)), ((0, 0), (1, 2))).value
    array([[0., 1., 1., 0., 0.]])
    """
    x = _lift(x)
    if isinstance(width, (tuple, list)) and all(isinstance(p, (tuple, list)) for p in width):
        if len(width) != x.ndim or any(len(p) != 2 for p in width):
            raise EvaluationError(f"pad: needs one (before, after) pair per axis of shape "
                                  f"{x.shape}, got {width!r}")
        pairs = [tuple(as_integer(v, "pad: a width") for v in p) for p in width]
    else:
        n = as_integer(width, "pad: the width")
        pairs = [(n, n)] * x.ndim
    if any(v < 0 for p in pairs for v in p):
        raise EvaluationError(f"pad: widths must not be negative, got {width!r}")
    check_size(tuple(s + a + b for s, (a, b) in zip(x.shape, pairs, strict=True)), "pad")
    inner = tuple(slice(a, a + s) for s, (a, _) in zip(x.shape, pairs, strict=True))
    return _make(np.pad(x.value, pairs), (x,), lambda g: (g[inner],))
