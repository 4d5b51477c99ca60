"""Difference quotients a student computed numerically are named as such (the candidates,
streamed or one step at a time, and a quotient inside the tolerance), and a correct float32
answer never is."""

import numpy as np

from gradcheck.compare import compare


def test_difference_quotient_candidates():
    x = np.array([0.3, 1.1, -0.4])
    exact = np.diag(np.exp(x))
    candidates = {f"forward difference, h={h:g}": np.diag((np.exp(x + h) - np.exp(x)) / h)
                  for h in (1e-2, 1e-3, 1e-4, 1e-5)}
    received = np.diag((np.exp(x + 1e-5) - np.exp(x)) / 1e-5)
    result = compare(exact, received, candidates=candidates)
    assert result.code == "difference-quotient"
    assert result.diagnosis == ("matches a difference quotient (forward difference, h=1e-05), "
                                "not an exact derivative")
    # without candidates the same answer is only "close"
    assert compare(exact, received).code == "close"


def test_candidates_may_be_streamed_and_only_the_closest_is_kept():
    import weakref

    x = np.array([0.3, 1.1])
    exact = np.diag(np.exp(x))
    alive = []

    def pairs():
        for h in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6):
            # at most the previous candidate is still referenced when the next is made
            assert sum(ref() is not None for ref in alive) <= 1
            quotient = np.diag((np.exp(x + h) - np.exp(x)) / h)
            alive.append(weakref.ref(quotient))
            yield f"forward difference, h={h:g}", quotient
            del quotient

    received = np.diag((np.exp(x + 1e-4) - np.exp(x)) / 1e-4)
    result = compare(exact, received, candidates=pairs())
    assert result.diagnosis == ("matches a difference quotient (forward difference, h=0.0001), "
                                "not an exact derivative")
    assert len(alive) == 5
    made = []
    lazy = lambda: made.append(1) or pairs()  # noqa: E731
    assert compare(exact, exact, candidates=lazy).passed and not made   # not needed: not made
    assert compare(exact, received, candidates=lazy).code == "difference-quotient" and made


def test_difference_quotients_one_step_at_a_time_are_the_same():
    from gradcheck import numeric

    x = np.array([[0.2, -0.4], [1.0, 0.5]])
    f0 = np.sin(x).sum(axis=0)
    pairs = list(numeric.iter_difference_quotients(lambda m: np.sin(m).sum(axis=0), x, f0))
    table = numeric.difference_quotients(lambda m: np.sin(m).sum(axis=0), x, f0)
    assert [name for name, _ in pairs] == list(table) and len(table) == 21
    for name, quotient in pairs:
        np.testing.assert_array_equal(quotient, table[name])
        assert quotient.shape == (2, 2, 2)


def _quotients(f, x, steps=(1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8)):
    from gradcheck.numeric import difference_quotients

    return difference_quotients(f, np.asarray(x, dtype=float), np.asarray(f(x)), steps)


def test_a_quotient_inside_the_tolerance_is_still_recognised():
    # cos(x³) ln(x⁴/11) at x = 1: a forward difference with h = 1e-5 is only 8.6e-7 off.
    def f(t):
        return np.cos(t**3) * np.log(t**4 / 11)

    x, h = 1.0, 1e-5
    exact = -3 * x**2 * np.sin(x**3) * np.log(x**4 / 11) + np.cos(x**3) * 4 / x
    student = (f(x + h) - f(x)) / h
    assert compare(np.array(exact), student).passed  # alone, the error is within tolerance
    result = compare(np.array(exact), student, candidates=_quotients(f, x))
    assert not result.passed and result.code == "difference-quotient"
    assert "h=1e-05" in result.diagnosis


def test_correct_float32_answers_are_not_mistaken_for_quotients():
    rng = np.random.default_rng(5)
    for x in rng.uniform(0.5, 2.5, size=40):
        exact = 3 * x**2 + np.exp(x)
        x32 = np.float32(x)
        received = np.float32(3) * x32 * x32 + np.exp(x32)
        result = compare(np.array(exact), received,
                         candidates=_quotients(lambda t: t**3 + np.exp(t), x))
        assert result.passed, (x, result)


def test_a_float32_answer_sent_as_float64_is_judged_at_float32_precision():
    # A worker sends every answer as float64: a float32 answer arrives as float64 numbers
    # that are all float32 numbers, and is not fitted against difference quotients.
    from gradcheck.compare import precision

    exact = np.array([[0.1234567891234, -2.345678912345], [3.3333333333333, 1e-3]])
    sent = exact.astype(np.float32).astype(np.float64)
    assert precision(sent) == np.float32 and precision(exact) == np.float64
    fitted = []

    class Model:
        def match(self, *args):
            fitted.append(args)
            return "forward difference, h=1e-05"

    assert compare(exact, sent, candidates=Model()).passed and not fitted
    off = exact * (1 + 3e-8)   # as close as float32 rounding, but a float64 computation
    assert not compare(exact, off, candidates=Model()).passed and fitted
