"""Time to verdict of ``check`` on functions of 10^6 inputs (directional mode).

For two scalar functions of x in R^(10^6) - sum(sin(x) * x) and a least-squares loss
0.5 * ||D x - y||^2 with D the forward-difference operator - checks the correct gradient and
wrong ones (sign flip, factor 2, a dropped product-rule / chain-rule term), and sum(log(p))
with p in (0.01, 1), where steps scaled by rms(p) would cross 0; prints the verdict and the
wall-clock time of each ``check`` call. Target: under 2 s each on two cores.
The last rows show the limit of directional mode: one entry off by about the typical size of
an entry (rms ~2.4 here) is seen, one off by 1e-3 among 10^6 is not.

    python benchmarks/directional.py [--size N] [--probes K]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gradcheck import check  # noqa: E402


def sin_x(x):
    return np.sum(np.sin(x) * x)


def sin_x_grad(x):
    return np.sin(x) + x * np.cos(x)


def log_sum(p):
    return np.sum(np.log(p))


def least_squares(y):
    def loss(x):
        r = np.diff(x) - y
        return 0.5 * (r @ r)

    def grad(x):
        r = np.diff(x) - y
        return np.concatenate(([-r[0]], r[:-1] - r[1:], [r[-1]]))

    def grad_dropped(x):  # forgets that x_i appears in two residuals
        r = np.diff(x) - y
        return np.concatenate(([-r[0]], -r[1:], [0.0]))

    return loss, grad, grad_dropped


def one_wrong_entry(grad, error):
    def wrong(x):
        g = grad(x)
        g[12345] += error
        return g
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10**6)
    parser.add_argument("--probes", type=int, default=5)
    options = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.standard_normal(options.size)
    loss, grad, grad_dropped = least_squares(rng.standard_normal(options.size - 1))
    p = rng.uniform(0.01, 1.0, options.size)   # log near 0: steps must stay inside (0, inf)
    rows = [
        ("sum(sin(x) x)", sin_x, sin_x_grad, "correct"),
        ("sum(sin(x) x)", sin_x, lambda z: -sin_x_grad(z), "sign flip"),
        ("sum(sin(x) x)", sin_x, lambda z: 2 * sin_x_grad(z), "factor 2"),
        ("sum(sin(x) x)", sin_x, lambda z: z * np.cos(z), "dropped product-rule term"),
        ("sum(sin(x) x)", sin_x, lambda z: sin_x_grad(z).astype(np.float32), "correct, float32"),
        ("least squares", loss, grad, "correct"),
        ("least squares", loss, lambda z: -grad(z), "sign flip"),
        ("least squares", loss, lambda z: 2 * grad(z), "factor 2 (lost the 1/2)"),
        ("least squares", loss, grad_dropped, "dropped chain-rule term"),
        ("least squares", loss, one_wrong_entry(grad, 1.0), "one entry off by 1"),
        ("least squares", loss, one_wrong_entry(grad, 1e-3), "one entry off by 1e-3"),
        ("sum(log(p))", log_sum, lambda q: 1 / q, "correct, p in (0.01, 1)"),
        ("sum(log(p))", log_sum, lambda q: 2 / q, "factor 2"),
    ]
    print(f"n = {options.size:,} inputs, {options.probes} probes")
    print(f"{'function':15s} {'gradient':30s} {'seconds':>8s}  verdict")
    for name, f, df, what in rows:
        start = time.perf_counter()
        result = check(f, df, p if f is log_sum else x, probes=options.probes)
        seconds = time.perf_counter() - start
        verdict = "pass" if result.passed else f"FAIL {result.code}: {result.diagnosis}"
        print(f"{name:15s} {what:30s} {seconds:8.2f}  {verdict}")


if __name__ == "__main__":
    main()
