"""Wall time of `gradcheck validate` on a spec of course-sized convolutions and poolings:
(2, 3, 8, 8) images, four 3x3 filters, stride and padding; the reference solution is written
here with per-pixel loops (as students write it). Also the time of the engine alone: one full
Jacobian of such a convolution with respect to the images and the filters.

    python benchmarks/conv_validate.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from gradcheck import engine

SPEC = """\
sheet: convbench
title: Convolution and pooling at course sizes
exercises:
  - id: conv-jacobian
    title: d conv2d(x, w) / dw, full Jacobian
    points: 1
    student: jac_conv
    function: "conv2d(x, w, stride=1, pad=1)"
    sizes: {N: 2, C: 3, H: 8, F: 4, K: 3}
    inputs:
      x: {shape: [N, C, H, H]}
      w: {shape: [F, C, K, K]}
    wrt: w
    points_at: [{random: 3}]
  - id: conv-grads
    title: conv layer gradients with an upstream gradient
    points: 1
    student: grads_conv
    function: "sum((conv2d(x, w, stride=stride, pad=1) + reshape(b, (1, -1, 1, 1))) * dout)"
    sizes: {N: 2, C: 3, H: 8, F: 4, K: 3, stride: [1, 2]}
    inputs:
      x: {shape: [N, C, H, H]}
      w: {shape: [F, C, K, K]}
      b: {shape: [F]}
      dout: {shape: [N, F, "(H + 2 - K)//stride + 1", "(H + 2 - K)//stride + 1"]}
      s: {shape: [stride]}
    wrt: [x, w, b]
    points_at: [{random: 3}]
  - id: pool
    title: max pooling node
    kind: node
    points: 1
    student: MaxPool
    function: "max_pool2d(x, 2, stride=2)"
    inputs:
      x: {shape: [2, 3, 8, 8]}
    points_at: [{random: 3}]
"""

SOLUTION = '''\
import numpy as np


def _conv(x, w, b, stride, pad):
    n, c, h, wd = x.shape
    f, _, hh, ww = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = (h + 2 * pad - hh) // stride + 1, (wd + 2 * pad - ww) // stride + 1
    out = np.zeros((n, f, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out, xp


def jac_conv(x, w):
    f = w.shape[0]
    out, xp = _conv(x, w, np.zeros(f), 1, 1)
    jac = np.zeros(out.shape + w.shape)
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            for k in range(f):
                jac[:, k, i, j, k] = xp[:, :, i:i + w.shape[2], j:j + w.shape[3]]
    return jac


def grads_conv(x, w, b, dout, s):
    stride = s.shape[0]
    _, xp = _conv(x, w, b, stride, 1)
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    hh, ww = w.shape[2:]
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            patch = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]
            dw += np.tensordot(dout[:, :, i, j], patch, axes=([0], [0]))
            dxp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww] += np.tensordot(
                dout[:, :, i, j], w, axes=([1], [0]))
    return dxp[:, :, 1:-1, 1:-1], dw, dout.sum(axis=(0, 2, 3))


class MaxPool:
    def forward(self, x):
        self.x = x
        n, c, h, w = x.shape
        return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))

    def backward(self, grad_output):
        x = self.x
        n, c, h, w = x.shape
        windows = x.reshape(n, c, h // 2, 2, w // 2, 2)
        top = windows.max(axis=(3, 5), keepdims=True)
        mask = windows == top
        return ((mask * grad_output[:, :, :, None, :, None]).reshape(x.shape),)
'''


def engine_jacobian_seconds(runs: int) -> float:
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(2, 3, 8, 8)), rng.normal(size=(4, 3, 3, 3))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        engine.jacobian(lambda x, w: engine.conv2d(x, w, pad=1), {"x": x, "w": w}, ["x", "w"])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def validate_seconds(runs: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        spec, solution = Path(folder, "convbench.yaml"), Path(folder, "convbench.py")
        spec.write_text(SPEC)
        solution.write_text(SOLUTION)
        command = [sys.executable, "-m", "gradcheck", "validate", str(spec), "--solution",
                   str(solution)]
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, cwd=folder)
            times.append(time.perf_counter() - start)
            if done.returncode != 0:
                raise SystemExit(f"validate exited {done.returncode}:\n{done.stdout}"
                                 f"{done.stderr}")
        print(done.stdout.strip().splitlines()[-1])
        return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    print(f"engine: full Jacobian of conv2d((2, 3, 8, 8), (4, 3, 3, 3), pad=1) "
          f"w.r.t. x and w: {engine_jacobian_seconds(runs):.3f} s (median of {runs})")
    print(f"gradcheck validate (3 exercises, 9 points): {validate_seconds(runs):.1f} s "
          f"(median of {runs})")


if __name__ == "__main__":
    main()
