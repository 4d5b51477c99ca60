"""Accuracy of finite-difference Jacobians against derivatives written out by hand.

Runs ``gradcheck.numeric.jacobian``, a plain central difference with h = 1e-6 (torch's
gradcheck default) and a forward difference with h = 1.49e-8 (scipy's default) over the
functions in ``CASES`` and prints, per method, the median and worst relative error (the
largest entry error divided by the scale max|J| of that function's Jacobian) and the number
of evaluations of f. Also reports how often the error estimate of ``numeric.jacobian`` is at
least the actual error.

    python benchmarks/accuracy.py [-v]

``tests/test_numeric.py`` imports ``CASES`` so that accuracy regressions fail the tests.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gradcheck import numeric  # noqa: E402


@dataclass(frozen=True)
class Case:
    name: str
    f: Callable[[Any], Any]
    x: Any
    exact: Callable[[Any], Any]
    family: str = "smooth"


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


def _logsumexp(z):
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m)))


_RNG = np.random.default_rng(7)
_A = _RNG.standard_normal((3, 4))
_B = _RNG.standard_normal(3)
_V = _RNG.standard_normal(4)
_X = _RNG.standard_normal((5, 3))
_SPD = _RNG.standard_normal((3, 3))
_SPD = _SPD @ _SPD.T + 3 * np.eye(3)
_LOGITS = np.array([40.0, -40.0, 3.0, -17.5, 25.0])
_LABEL = 1
_FEATURES = _RNG.standard_normal((6, 3))
_TARGETS = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])


def _jac_1d(x):
    r = np.sqrt(x[0] ** 2 - x[2])
    return np.array([[x[0] / r, 0.0, -0.5 / r],
                     [0.0, np.exp(x[1]) * np.cos(4 * x[2]), -4 * np.exp(x[1]) * np.sin(4 * x[2])]])


def _d_tanh_affine_dA(a, x=_V, b=_B):
    t = np.tanh(a @ x + b)
    m = a.shape[0]
    jac = np.zeros((m,) + a.shape)
    for i in range(m):
        jac[i, i, :] = (1 - t[i] ** 2) * x
    return jac


def _d_inverse(a):
    inv = np.linalg.inv(a)
    return -np.einsum("ik,lj->ijkl", inv, inv)


def _d_xw(w, x=_X):
    n, q = x.shape[0], w.shape[1]
    jac = np.zeros((n, q) + w.shape)
    for j in range(q):
        jac[:, j, :, j] = x
    return jac


def _logistic_loss(w):
    z = _FEATURES @ w
    return np.sum(np.logaddexp(0.0, z) - _TARGETS * z)


CASES: tuple[Case, ...] = (
    # scalar inputs
    Case("polynomial 3x^4-2x^2+x-5", lambda x: 3 * x**4 - 2 * x**2 + x - 5, 1.3,
         lambda x: 12 * x**3 - 4 * x + 1),
    Case("x^3 at 1e3", lambda x: x**3, 1e3 + 0.123, lambda x: 3 * x**2),
    Case("exp at 30", np.exp, 30.0, np.exp),
    Case("exp at -3", np.exp, -3.0, np.exp),
    Case("log at 1e-9", np.log, 1e-9, lambda x: 1 / x),
    Case("log at 1e6", np.log, 1e6, lambda x: 1 / x),
    Case("sqrt at 1e-10", np.sqrt, 1e-10, lambda x: 0.5 / np.sqrt(x)),
    Case("sqrt at 4e4", np.sqrt, 4e4, lambda x: 0.5 / np.sqrt(x)),
    Case("sin at 2", np.sin, 2.0, np.cos),
    Case("sin at 1e5", np.sin, 1e5, np.cos),
    Case("cos at 0.3", np.cos, 0.3, lambda x: -np.sin(x)),
    Case("tan at 1.2", np.tan, 1.2, lambda x: 1 / np.cos(x) ** 2),
    Case("tanh at 0.7", np.tanh, 0.7, lambda x: 1 - np.tanh(x) ** 2),
    Case("tanh at 4", np.tanh, 4.0, lambda x: 1 / np.cosh(x) ** 2),
    Case("sigmoid at -2", _sigmoid, -2.0, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    Case("cos(x^3) log(x^4/11)", lambda x: np.cos(x**3) * np.log(x**4 / 11), 1.5,
         lambda x: -3 * x**2 * np.sin(x**3) * np.log(x**4 / 11) + 4 * np.cos(x**3) / x),
    Case("gaussian bump", lambda x: np.exp(-(x - 0.2) ** 2 / (2 * 0.7**2)), 0.9,
         lambda x: -(x - 0.2) / 0.7**2 * np.exp(-(x - 0.2) ** 2 / (2 * 0.7**2))),
    Case("x^2.5 at 7", lambda x: x**2.5, 7.0, lambda x: 2.5 * x**1.5),
    Case("arctan at 10", np.arctan, 10.0, lambda x: 1 / (1 + x**2)),
    Case("1/x at -0.01", lambda x: 1 / x, -0.01, lambda x: -1 / x**2),
    Case("softplus at 3", lambda x: np.logaddexp(0.0, x), 3.0, _sigmoid),
    # vector inputs
    Case("softmax", _softmax, np.array([0.5, -1.0, 2.0, 0.1]),
         lambda z: np.diag(_softmax(z)) - np.outer(_softmax(z), _softmax(z))),
    Case("logsumexp", _logsumexp, np.array([1.0, -2.0, 0.5, 3.0, -0.7]), _softmax),
    Case("2-norm", np.linalg.norm, np.array([3.0, -4.0, 1.5]), lambda x: x / np.linalg.norm(x)),
    Case("squared norm", lambda x: x @ x, np.array([0.3, -1.2, 2.2]), lambda x: 2 * x),
    Case("softmax cross-entropy, logits +-40",
         lambda z: _logsumexp(z) - z[_LABEL], _LOGITS,
         lambda z: _softmax(z) - np.eye(len(z))[_LABEL]),
    Case("(sqrt(x1^2-x3), e^x2 cos 4x3)",
         lambda x: np.array([np.sqrt(x[0] ** 2 - x[2]), np.exp(x[1]) * np.cos(4 * x[2])]),
         np.array([2.0, 0.5, 1.0]), _jac_1d),
    Case("elementwise tanh", np.tanh, np.array([-1.5, 0.2, 0.9, 2.5]),
         lambda x: np.diag(1 - np.tanh(x) ** 2)),
    Case("sin(log(x.x))", lambda x: np.sin(np.log(x @ x)), np.array([0.4, -1.1, 0.8]),
         lambda x: np.cos(np.log(x @ x)) * 2 * x / (x @ x)),
    Case("sum x sin x", lambda x: np.sum(x * np.sin(x)), np.linspace(-2, 3, 6),
         lambda x: np.sin(x) + x * np.cos(x)),
    Case("A x", lambda x: _A @ x, _V, lambda x: _A),
    Case("sin(Ax+b) wrt x", lambda x: np.sin(_A @ x + _B), _V,
         lambda x: np.cos(_A @ x + _B)[:, None] * _A),
    Case("logistic regression loss", _logistic_loss, np.array([0.3, -0.8, 1.1]),
         lambda w: _FEATURES.T @ (_sigmoid(_FEATURES @ w) - _TARGETS)),
    Case("log at 1e-9 beside 1e3", lambda x: np.log(x[0]) + x[1] ** 2,
         np.array([1e-9, 1e3]), lambda x: np.array([1 / x[0], 2 * x[1]])),
    # matrix inputs
    Case("tanh(Ax+b) wrt A", lambda a: np.tanh(a @ _V + _B), _A, _d_tanh_affine_dA),
    Case("X W wrt W", lambda w: _X @ w, _RNG.standard_normal((3, 2)), _d_xw),
    Case("Frobenius norm", np.linalg.norm, _A, lambda a: a / np.linalg.norm(a)),
    Case("trace(A^T A)", lambda a: np.trace(a.T @ a), _A, lambda a: 2 * a),
    Case("log det (SPD)", lambda a: np.linalg.slogdet(a)[1], _SPD,
         lambda a: np.linalg.inv(a).T),
    Case("matrix inverse", np.linalg.inv, _SPD, _d_inverse),
)


_SCALED = np.array([[1e4, 1.0, 1e-3], [-2e4, 0.5, 3e-3], [5e3, -1.5, -2e-3], [-1e4, 2.0, 1e-3]])
_SCALED_Y = np.array([1.0, 0.0, 1.0, 0.0])
_T = 1e4 + np.array([0.3, 1.7, -2.2, 5.1])
_BIG_LOGITS = np.array([40.0, -40.0, 3.0, 38.5, -12.0])


def _scaled_loss(w):
    z = _SCALED @ w
    return np.sum(np.logaddexp(0.0, z) - _SCALED_Y * z)


# The hard families: near a singularity or a pole (within 1e-6 relative), inputs of 1e4,
# badly scaled entries, oscillating, exact zeros, large logits.
HARD: tuple[Case, ...] = (
    Case("sqrt(1-x^2) 1e-6 below 1", lambda x: np.sqrt(1 - x * x), 1 - 1e-6,
         lambda x: -x / np.sqrt((1 - x) * (1 + x)), "singularity"),
    Case("arctanh 1e-6 below 1", np.arctanh, 1 - 1e-6, lambda x: 1 / ((1 - x) * (1 + x)),
         "singularity"),
    Case("log(1-x) sum, 1e-7 below 1", lambda x: np.sum(np.log(1 - x)),
         np.array([1 - 1e-7, 0.5, -2.0]), lambda x: -1 / (1 - x), "singularity"),
    Case("tan 1.2e-4 below pi/2", np.tan, np.pi / 2 - 1.2e-4, lambda x: 1 / np.cos(x) ** 2,
         "pole"),
    Case("tan 1e-6 below pi/2", np.tan, np.pi / 2 - 1e-6, lambda x: 1 / np.cos(x) ** 2, "pole"),
    Case("(x^2+1)/(x-3) 3e-6 above 3", lambda x: (x * x + 1) / (x - 3), 3 + 3e-6,
         lambda x: (x * x - 6 * x - 1) / (x - 3) ** 2, "pole"),
    Case("sum sin(T), T near 1e4", lambda t: np.sum(np.sin(t)), _T, np.cos, "magnitude 1e4"),
    Case("x^2 log x at 1e4", lambda x: x * x * np.log(x), 1.2345e4,
         lambda x: 2 * x * np.log(x) + x, "magnitude 1e4"),
    Case("logistic loss, features 1e4, 1, 1e-3", _scaled_loss, np.array([1e-4, 1.0, 4e2]),
         lambda w: _SCALED.T @ (_sigmoid(_SCALED @ w) - _SCALED_Y), "badly scaled"),
    Case("x0^2 + 1e-6 x1 + 1e8 x2^2", lambda x: x[0] ** 2 + 1e-6 * x[1] + 1e8 * x[2] ** 2,
         np.array([3.0, 1e5, 2e-5]), lambda x: np.array([2 * x[0], 1e-6, 2e8 * x[2]]),
         "badly scaled"),
    Case("sin(50x) x", lambda x: np.sum(np.sin(50 * x) * x), np.array([0.31, -0.77, 1.9]),
         lambda x: 50 * np.cos(50 * x) * x + np.sin(50 * x), "oscillating"),
    Case("cos(1e3 x) at 0.2", lambda x: np.cos(1e3 * x), 0.2,
         lambda x: -1e3 * np.sin(1e3 * x), "oscillating"),
    Case("weighted squares at zeros", lambda x: np.sum(x**2 * np.array([1.0, 2.0, 3.0]))
         + x[0] * x[2], np.array([0.0, 0.0, 1.5]),
         lambda x: 2 * x * np.array([1.0, 2.0, 3.0]) + np.array([x[2], 0.0, x[0]]),
         "exact zeros"),
    Case("x sin x + x/2 at 0", lambda x: x * np.sin(x) + x / 2, 0.0,
         lambda x: np.sin(x) + x * np.cos(x) + 0.5, "exact zeros"),
    Case("logsumexp, logits +-40", _logsumexp, _BIG_LOGITS, _softmax, "large logits"),
    Case("softmax, logits +-40", _softmax, _BIG_LOGITS,
         lambda z: np.diag(_softmax(z)) - np.outer(_softmax(z), _softmax(z)), "large logits"),
)


def central(f: Callable[[Any], Any], x: Any, h: float = 1e-6) -> tuple[np.ndarray, int]:
    """Plain central difference with an absolute step (torch.autograd.gradcheck's)."""
    return _plain(f, x, h, central=True)


def forward(f: Callable[[Any], Any], x: Any, h: float = 1.49e-8) -> tuple[np.ndarray, int]:
    """Plain forward difference with an absolute step (scipy's default step)."""
    return _plain(f, x, h, central=False)


def _plain(f, x, h, central):
    x = np.array(x, dtype=float)
    with np.errstate(all="ignore"):
        f0 = np.asarray(f(x.copy()), dtype=float)
        cols, calls = [], 1
        for i in range(x.size):
            up, down = x.copy().reshape(-1), x.copy().reshape(-1)
            up[i] += h
            down[i] -= h if central else 0.0
            hi = np.asarray(f(up.reshape(x.shape)), dtype=float)
            lo = np.asarray(f(down.reshape(x.shape)), dtype=float) if central else f0
            calls += 2 if central else 1
            cols.append((hi - lo).reshape(-1) / (up[i] - down[i]))
    return np.array(cols).T.reshape(f0.shape + x.shape), calls


def relative_error(estimate: np.ndarray, exact: np.ndarray) -> float:
    """Largest entry error relative to the scale max|J| of the exact Jacobian (NaN -> inf)."""
    scale = float(np.max(np.abs(exact))) or 1.0
    err = np.abs(np.asarray(estimate, dtype=float) - exact)
    return float("inf") if not np.all(np.isfinite(err)) else float(np.max(err)) / scale


def run(verbose: bool = False) -> dict[str, dict[str, float]]:
    rows = []
    covered = total = 0
    for case in CASES + HARD:
        exact = np.asarray(case.exact(np.asarray(case.x, dtype=float)), dtype=float)
        est = numeric.jacobian(case.f, case.x)
        assert est.value.shape == exact.shape, (case.name, est.value.shape, exact.shape)
        actual = np.abs(est.value - exact)
        covered += int(np.sum(est.error >= actual))
        total += actual.size
        c_val, c_calls = central(case.f, case.x)
        f_val, f_calls = forward(case.f, case.x)
        rows.append((case.name, relative_error(est.value, exact), est.evaluations,
                     relative_error(c_val, exact), c_calls, relative_error(f_val, exact), f_calls))
    if verbose:
        print(f"{'function':38s} {'numeric':>9s} {'evals':>6s} {'central':>9s} {'forward':>9s}")
        for name, e1, n1, e2, _, e3, _ in rows:
            print(f"{name:38s} {e1:9.1e} {n1:6d} {e2:9.1e} {e3:9.1e}")
        print()
    summary = {}
    print(f"{len(CASES) + len(HARD)} functions ({len(CASES)} smooth, {len(HARD)} hard); "
          "relative error = max entry error / max|J|")
    print(f"{'method':34s} {'median':>9s} {'worst':>9s} {'evals (median)':>15s} "
          f"{'evals (total)':>14s}")
    for label, col in (("numeric.jacobian", 1), ("central difference h=1e-6", 3),
                       ("forward difference h=1.49e-8", 5)):
        errors = np.array([r[col] for r in rows])
        calls = np.array([r[col + 1] for r in rows])
        summary[label] = {"median": float(np.median(errors)), "worst": float(np.max(errors))}
        print(f"{label:34s} {np.median(errors):9.1e} {np.max(errors):9.1e} "
              f"{int(np.median(calls)):15d} {int(calls.sum()):14d}")
    print(f"error estimate >= actual error in {covered} of {total} Jacobian entries")
    print()
    families(CASES + HARD)
    return summary


def _counted(f: Callable[[Any], Any]) -> tuple[Callable[[Any], Any], list[int]]:
    calls = [0]

    def g(x):
        calls[0] += 1
        return f(x)
    return g, calls


ANSWERS = (  # what check() is given, and whether it must pass
    ("exact", lambda d: d, True),
    ("float32", lambda d: np.float32(d), True),
    ("x2", lambda d: 2 * d, False),
    ("+1%", lambda d: d + 0.01 * float(np.max(np.abs(d))), False),
)


def families(cases) -> dict[str, dict[str, float]]:
    """Per family: accuracy of numeric.jacobian, and evaluations of f per input entry for a
    whole check() with an exact, a float32 and two wrong answers, with their verdicts."""
    from gradcheck import check

    table: dict[str, list] = {}
    for case in cases:
        x = np.asarray(case.x, dtype=float)
        exact = np.asarray(case.exact(x), dtype=float)
        est = numeric.jacobian(case.f, case.x)
        row = {"error": relative_error(est.value, exact),
               "jacobian": est.evaluations / max(x.size, 1)}
        for label, make, should in ANSWERS:
            g, calls = _counted(case.f)
            answer = make(exact)
            result = check(g, lambda *_a, answer=answer: answer, case.x)
            row[label] = calls[0] / max(x.size, 1)
            row[label + " ok"] = result.passed == should
            row[label + " code"] = result.code
        table.setdefault(case.family, []).append(row)
    head = (f"{'family':14s} {'n':>3s} {'median':>8s} {'worst':>8s} {'jac/entry':>9s} "
            + " ".join(f"{label:>8s}" for label, _, _ in ANSWERS) + "  any  verdicts right")
    print("check() per family: evaluations of f per input entry (median per answer, and over "
          "the four answers together: 'any'), verdicts right")
    print(head)
    summary = {}
    for family, rows in list(table.items()) + [("all", [r for v in table.values() for r in v])]:
        errors = [r["error"] for r in rows]
        counts = [float(np.median([r[label] for r in rows])) for label, _, _ in ANSWERS]
        pooled = float(np.median([r[label] for r in rows for label, _, _ in ANSWERS]))
        right = " ".join(f"{sum(r[label + ' ok'] for r in rows)}/{len(rows)}"
                         for label, _, _ in ANSWERS)
        summary[family] = {"median": float(np.median(errors)), "worst": float(np.max(errors)),
                           **{label: c for (label, _, _), c in zip(ANSWERS, counts, strict=True)},
                           "any answer": pooled}
        print(f"{family:14s} {len(rows):3d} {np.median(errors):8.1e} {np.max(errors):8.1e} "
              f"{np.median([r['jacobian'] for r in rows]):9.1f} "
              + " ".join(f"{c:8.1f}" for c in counts) + f" {pooled:4.0f}  {right}")
    wrong = [(case.name, label, r[label + " code"]) for case, r in
             zip(cases, [r for v in table.values() for r in v], strict=False)
             for label, _, _ in ANSWERS if not r[label + " ok"]]
    for name, label, code in wrong:
        print(f"  wrong verdict: {name}: {label} answer -> {code}")
    return summary


if __name__ == "__main__":
    run(verbose="-v" in sys.argv[1:])
