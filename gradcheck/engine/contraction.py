"""``einsum``: Einstein summation over nodes, with its exact derivative.

The gradient with respect to one operand is again an einsum: the output's gradient contracted
with the other operands, onto that operand's letters. Letters only that operand has (summed out
inside it, ``ij->i``) are broadcast back; a letter repeated inside one operand (``ii->i``, a
diagonal) puts the gradient back on that diagonal.

Sizes are checked before anything is computed: the result against ``MAX_ELEMENTS``, and the work
(the product of every letter's length, the multiply-adds of the plain loop) against
``MAX_WORK``.
"""

from __future__ import annotations

import math
import re

import numpy as np

from gradcheck.engine.node import Node, Operand, _lift, _make, check_size
from gradcheck.errors import EvaluationError

MAX_WORK = 10**8
"""Most multiply-adds one einsum, convolution or pooling may do (about a second of numpy)."""

_SPEC = re.compile(r"^[A-Za-z]*(,[A-Za-z]*)*(->[A-Za-z]*)?$")


def parse_subscripts(subscripts: str, count: int) -> tuple[list[str], str]:
    """``(input terms, output term)`` of an einsum specification for ``count`` operands; the
    implicit output (no ``->``) is the letters used once, in alphabetical order, as in numpy.

    >>> parse_subscripts("ij,jk", 2)
    (['ij', 'jk'], 'ik')
    """
    if not isinstance(subscripts, str):
        raise EvaluationError("einsum: the first argument is the subscripts, a string such as "
                              "'ij,jk->ik'")
    spec = subscripts.replace(" ", "")
    if not _SPEC.match(spec):
        raise EvaluationError(f"einsum: {subscripts!r} is not a specification of letters, "
                              "commas and one '->' (e.g. 'ij,jk->ik'; '...' is not supported)")
    left, arrow, output = spec.partition("->")
    terms = left.split(",")
    if len(terms) != count:
        raise EvaluationError(f"einsum: {subscripts!r} names {len(terms)} operand(s), but "
                              f"{count} were given")
    letters = "".join(terms)
    if not arrow:
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if len(set(output)) != len(output) or any(c not in letters for c in output):
        raise EvaluationError(f"einsum: the output {output!r} of {subscripts!r} must use each "
                              "letter once, and only letters of the inputs")
    return terms, output


def _lengths(terms: list[str], nodes: list[Node], subscripts: str) -> dict[str, int]:
    lengths: dict[str, int] = {}
    for term, node in zip(terms, nodes, strict=True):
        if len(term) != node.ndim:
            raise EvaluationError(f"einsum: {term!r} of {subscripts!r} has {len(term)} letters "
                                  f"for an operand of shape {node.shape}")
        for letter, n in zip(term, node.shape, strict=True):
            if lengths.setdefault(letter, n) != n:
                raise EvaluationError(f"einsum: letter {letter!r} of {subscripts!r} stands for "
                                      f"lengths {lengths[letter]} and {n}")
    return lengths


def _gradient(k: int, terms: list[str], output: str, g: np.ndarray, values: list[np.ndarray],
              lengths: dict[str, int]) -> np.ndarray:
    """The gradient for operand ``k``: ``g`` contracted with the other operands."""
    term = terms[k]
    unique = "".join(dict.fromkeys(term))
    others = [t for j, t in enumerate(terms) if j != k]
    present = "".join(c for c in unique if c in output or any(c in t for t in others))
    spec = ",".join([output, *others]) + "->" + present
    t = np.einsum(spec, g, *(v for j, v in enumerate(values) if j != k), optimize=True)
    # letters only this operand has were summed out: broadcast the gradient back along them
    t = np.expand_dims(t, tuple(i for i, c in enumerate(unique) if c not in present))
    full = np.broadcast_to(t, tuple(lengths[c] for c in unique))
    if unique == term:
        return np.array(full)
    grad = np.zeros(tuple(lengths[c] for c in term))   # a repeated letter: a diagonal
    axes = [np.arange(lengths[c]).reshape([-1 if i == unique.index(c) else 1
                                           for i in range(len(unique))]) for c in term]
    grad[tuple(axes)] = full
    return grad


def einsum(subscripts: str, *operands: Operand) -> Node:
    """Einstein summation, like ``np.einsum`` with letters (no ``...``): ``'ij,jk->ik'`` is a
    matrix product, ``'ii->'`` a trace, ``'bij,bjk->bik'`` a batch of products.

    >>> from gradcheck.engine import backward, variable
    >>> a = variable([[1.0, 2.0], [3.0, 4.0]])
    >>> einsum("ii->", a).value
    array(5.)
    >>> backward(einsum("ij,ij->", a, a), [a])[0]
    array([[2., 4.],
           [6., 8.]])
    """
    nodes = [_lift(x) for x in operands]
    if not nodes:
        raise EvaluationError("einsum: needs at least one operand")
    terms, output = parse_subscripts(subscripts, len(nodes))
    lengths = _lengths(terms, nodes, subscripts)
    check_size(tuple(lengths[c] for c in output), "einsum")
    work = math.prod(lengths.values())
    if work > MAX_WORK:
        raise EvaluationError(f"einsum: {subscripts!r} on shapes "
                              f"{', '.join(str(n.shape) for n in nodes)} takes {work} "
                              f"multiply-adds, more than the limit of {MAX_WORK}")
    values = [n.value for n in nodes]
    spec = ",".join(terms) + "->" + output
    out = np.einsum(spec, *values, optimize=len(nodes) > 2)

    def backward(g):
        return tuple(_gradient(k, terms, output, g, values, lengths) if n.requires_grad
                     else None for k, n in enumerate(nodes))
    return _make(out, tuple(nodes), backward)
