"""The student's forward function of a graph exercise, as every part of it is checked.

The ``variables`` part is that function itself; the ``graph`` and ``adjoints`` parts are
checked against it (the graph it draws, the adjoints of its nodes). Here it is read from the
submission's text (:func:`forward_program`), built as an engine graph on a test point's
inputs (:func:`run_forward`: gradcheck's expression language and reference backprop, never
the student's code) and laid out as nodes to draw (:func:`drawing`).

>>> from gradcheck.grading.graphread import read_program
>>> from gradcheck.grading.graphsource import parse_source
>>> source = parse_source("def f(a, b):\\n    t1 = a * b\\n    t2 = np.sin(t1)\\n"
...                       "    return t2\\n", "s.py")
>>> program = read_program(source, "f", ("a", "b"))
>>> env, out = run_forward(program, {"a": 0.5, "b": 1.0})
>>> round(float(out.value), 6), [node.label for node in drawing(program, ("a", "b"))]
(0.479426, ['a', 'b', 't1 = a * b', 't2 = np.sin(t1)'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from gradcheck import engine
from gradcheck.errors import EvaluationError
from gradcheck.grading.graphread import LineError, NotWritten, Program, read_program
from gradcheck.grading.graphsource import Source
from gradcheck.results import GraphNode
from gradcheck.spec import Exercise
from gradcheck.spec.graph import VARIABLES


def forward_program(exercise: Exercise, source: Source) -> Program:
    """The forward function ``exercise`` is about, read from ``source``: the student's own
    function in a ``variables`` part, else the one named by the part's ``forward``. Problems
    with that other function name it (the student is graded on one thing and told of
    another).

    >>> from gradcheck.grading.graphsource import parse_source
    >>> from gradcheck.spec import load_sheet
    >>> exercise = load_sheet("sheet01").exercise("2b-A")
    >>> forward_program(exercise, parse_source("def forward_A(a, b, c):\\n"
    ...                                        "    return a\\n", "s.py"))
    Traceback (most recent call last):
    ...
    gradcheck.grading.graphread.LineError: graph_A is checked against forward_A, which \
cannot be read: line 2: return a: return the last intermediate variable (one assigned in \
this function)
    """
    name = exercise.student if exercise.graph.part == VARIABLES else exercise.graph.forward
    try:
        return _read_once(source, name, tuple(exercise.input_names))
    except NotWritten:
        if exercise.graph.part == VARIABLES:
            raise
        raise NotWritten(f"{exercise.student} needs {name} (the intermediate variables), "
                         "which is not written yet") from None
    except LineError as exc:
        if exercise.graph.part == VARIABLES:
            raise
        raise LineError(f"{exercise.student} is checked against {name}, which cannot be read: "
                        f"{exc.message}", exc.line) from None


def _read_once(source: Source, name: str, inputs: tuple[str, ...]) -> Program:
    """``read_program(source, name, inputs)``, read once per source: each forward function
    is graded by three parts (variables, graph, adjoints)."""
    read = source.__dict__.setdefault("_forward_programs", {})   # Source is frozen
    key = (name, inputs)
    if key not in read:
        try:
            read[key] = read_program(source, name, inputs)
        except (NotWritten, LineError) as exc:
            read[key] = exc
    if isinstance(read[key], Exception):
        raise read[key]
    return read[key]


def run_forward(program: Program, inputs: Mapping[str, np.ndarray]
                ) -> tuple[dict[str, engine.Node], engine.Node]:
    """The program's lines as an engine graph on ``inputs``: node of every name, and the
    returned one. Raises ``EvaluationError`` (naming the line) where a line cannot be
    evaluated (an example is at the top of this module)."""
    env: dict[str, engine.Node] = {k: engine.variable(v) for k, v in inputs.items()}
    for line in program.lines:
        try:
            node = line.expression.build(env)
            env[line.target] = node if isinstance(node, engine.Node) else engine.constant(node)
        except EvaluationError as exc:
            raise EvaluationError(f"line {line.line}: {line.target} = {line.text}: {exc}") \
                from None
    return env, env[program.result]


def drawing(program: Program, inputs: Sequence[str]) -> tuple[GraphNode, ...]:
    """The program's graph as nodes to draw: the inputs it reads, then one node per line
    (an example is at the top of this module)."""
    used = [n for n in inputs if any(n in line.reads for line in program.lines)]
    nodes = [GraphNode(name, name, (), "input") for name in used]
    for line in program.lines:
        nodes.append(GraphNode(line.target, f"{line.target} = {line.text}", line.reads,
                               "output" if line.target == program.result else "variable",
                               line.line))
    return tuple(nodes)
