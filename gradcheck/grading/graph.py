"""Grading computational-graph exercises (``kind: graph``) from the submission's text.

The three parts (:mod:`gradcheck.spec.graph`) are read by :mod:`gradcheck.grading.graphread`
and evaluated with gradcheck's expression language and reference backprop, in the grader's
process (the student's forward function, which every part is about, by
:mod:`gradcheck.grading.graphforward`); no line of the submission is run. Each part lists
its criteria as checks and is all or nothing: its points when every criterion holds, else
zero, with the first failing criterion as the message.

``variables`` (the student function ``forward``): every line one operation; the result equals
the spec's function at the test points; no two lines compute the same value (reuse); and with
``operations: N`` in the spec, no more than N operations.

``graph`` (the literal ``graph``): exactly the edges of the student's own ``forward`` (the
drawing shows that graph), and a graph of the function (acyclic, the inputs its only leaves,
the returned variable its only output).

``adjoints`` (the student function ``backward``): one ``g_<node>`` line per node of the
student's ``forward`` graph (inputs included); each reads the adjoints of exactly that node's
direct children; and each equals the node's true adjoint (reference backprop through the
student's ``forward``) at the test points, with the children's true adjoints put in, so a
wrong line is found where it is.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np

from gradcheck import compare, engine
from gradcheck.errors import EvaluationError
from gradcheck.grading.graphforward import drawing, forward_program, run_forward
from gradcheck.grading.graphread import (
    ADJOINT_PREFIX,
    LineError,
    NotWritten,
    Program,
    read_graph,
    read_program,
)
from gradcheck.grading.graphsource import Source
from gradcheck.results import (
    ERROR,
    FAIL,
    NOT_IMPLEMENTED,
    PASS,
    CheckResult,
    ExerciseResult,
    PointResult,
)
from gradcheck.spec import Exercise
from gradcheck.spec.graph import GRAPH, VARIABLES
from gradcheck.spec.sampling import TestPoint

REUSE_RTOL = 1e-10     # two lines whose values agree this closely at every point are one value
_ORDER = (NOT_IMPLEMENTED, ERROR, FAIL, PASS)


def grade_graph(exercise: Exercise, points: Sequence[TestPoint], source: Source,
                values: dict | None = None) -> ExerciseResult:
    """Grade one graph exercise on the parsed submission ``source``. ``values``: a dict in
    which the spec function's value at each point is kept for the next submissions.

    >>> from gradcheck.grading.graphsource import parse_source
    >>> from gradcheck.spec import parse_sheet
    >>> from gradcheck.spec.sampling import sample_points
    >>> sheet = parse_sheet('''
    ... sheet: s
    ... title: t
    ... exercises:
    ...   - {id: v, title: t, points: 2, kind: graph, part: variables, student: f,
    ...      function: "sin(a * b)", inputs: {a: {}, b: {}}, operations: 2}
    ... ''')
    >>> exercise = sheet.exercise("v")
    >>> source = parse_source("def f(a, b):\\n    t1 = a * b\\n    t2 = np.sin(t1)\\n"
    ...                       "    return t2\\n", "s.py")
    >>> result = grade_graph(exercise, sample_points(exercise, 1), source)
    >>> result.score, [check.message for check in result.checks][-2:]
    (2.0, ['every value computed once', '2 operations (the fewest)'])
    """
    started = time.monotonic()
    part = exercise.graph.part
    location = {"filename": source.filename, "line_no": None}
    if source.tree is None:
        return _result(exercise, ERROR, f"{source.error}", location)
    try:
        if part == VARIABLES:
            checks, drawn, line = _variables(exercise, points, source,
                                             {} if values is None else values)
        elif part == GRAPH:
            checks, drawn, line = _graph(exercise, source)
        else:
            checks, drawn, line = _adjoints(exercise, points, source)
    except NotWritten as exc:
        return _result(exercise, NOT_IMPLEMENTED, str(exc), location)
    except LineError as exc:
        return _result(exercise, ERROR, exc.message, {**location, "line_no": exc.line})
    location["line_no"] = line
    status = min((c.status for c in checks), key=_ORDER.index)
    failing = next((c for c in checks if not c.passed), None)
    message = failing.message if failing else f"all {len(checks)} checks passed"
    return ExerciseResult(
        id=exercise.id, title=exercise.title, kind=exercise.kind, student=exercise.student,
        points=exercise.points, score=exercise.points if failing is None else 0.0,
        status=status, message=message, checks=tuple(checks),
        duration=round(time.monotonic() - started, 4), graph=drawn, **location)


def _result(exercise: Exercise, status: str, message: str, location: Mapping) -> ExerciseResult:
    return ExerciseResult(id=exercise.id, title=exercise.title, kind=exercise.kind,
                          student=exercise.student, points=exercise.points, score=0.0,
                          status=status, message=message, **location)


def _check(passed: bool, message: str, checks: Sequence[CheckResult] = ()) -> PointResult:
    return PointResult(status=PASS if passed else FAIL, inputs={}, checks=tuple(checks),
                       message=message)


def _inputs_text(point: TestPoint) -> str:
    parts = []
    for name, value in point.inputs.items():
        value = np.asarray(value)
        parts.append(f"{name}={float(value):.4g}" if value.ndim == 0 else
                     f"{name}={np.array2string(value, precision=3, separator=', ')}")
    return ", ".join(parts)


# --- variables ---------------------------------------------------------------------------

def _variables(exercise: Exercise, points: Sequence[TestPoint], source: Source,
               values_of: dict):
    program = forward_program(exercise, source)
    checks = [_one_operation(program)]
    values: list[dict[str, np.ndarray]] = []
    value_check = None
    for point in points:
        try:
            env, out = run_forward(program, point.inputs)
        except EvaluationError as exc:
            value_check = _check(False, f"cannot evaluate {program.name} at "
                                        f"{_inputs_text(point)}: {exc}")
            break
        key = (exercise.id, id(point))
        if key not in values_of:
            values_of[key] = exercise.evaluate(point.inputs)
        expected = values_of[key]
        verdict = compare.compare(expected, out.value, rtol=exercise.tolerance.rtol,
                                  atol=exercise.tolerance.atol, label="value")
        if not verdict.passed:
            got = np.asarray(out.value)
            value_check = _check(False, (
                f"{program.name} returns {_short(got)} at {_inputs_text(point)}, but the "
                f"function is {_short(expected)} there ({verdict.diagnosis})"), (verdict,))
            break
        values.append({n: np.asarray(env[n].value) for n in program.targets})
    checks.append(value_check or _check(True, f"equal to the function at {len(points)} points"))
    checks.append(_reuse(program, values))
    if exercise.graph.operations is not None:
        count = sum(len(line.operations) for line in program.lines)
        fewest = exercise.graph.operations
        checks.append(_check(count <= fewest, (
            f"{count} operations (the fewest)" if count <= fewest else
            f"{count} operations, but {fewest} suffice: reuse the values you already have")))
    return checks, (), program.line


def _short(value: np.ndarray) -> str:
    value = np.asarray(value)
    if value.ndim == 0:
        return f"{float(value):.6g}"
    return np.array2string(value, precision=4, separator=", ", threshold=6)


def _one_operation(program: Program) -> PointResult:
    for line in program.lines:
        count = len(line.operations)
        if count != 1:
            why = (f"no operation (it only renames {line.text}): use that name instead"
                   if count == 0 else f"{count} operations ({', '.join(line.operations)}): "
                   "one per line, give each its own variable")
            return _check(False, f"line {line.line}: {line.target} = {line.text} has {why}")
    return _check(True, "every line one operation")


def _reuse(program: Program, values: list[dict[str, np.ndarray]]) -> PointResult:
    if not values:
        return _check(False, "reuse not checked: the function could not be evaluated")
    lines = program.lines
    for j, later in enumerate(lines):
        for earlier in lines[:j]:
            if all(_same(v[earlier.target], v[later.target]) for v in values):
                return _check(False, (
                    f"line {later.line}: {later.target} = {later.text} computes the same "
                    f"value as line {earlier.line}: {earlier.target} = {earlier.text}; reuse "
                    f"{earlier.target}"))
    return _check(True, "every value computed once")


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return False
    scale = max(float(np.max(np.abs(a))) if a.size else 0.0, 1e-300)
    return bool(np.all(np.abs(a - b) <= REUSE_RTOL * scale))


# --- the graph ---------------------------------------------------------------------------

def _edges(graph: Mapping[str, set[str]]) -> set[tuple[str, str]]:
    return {(start, end) for end, starts in graph.items() for start in starts}


def _graph(exercise: Exercise, source: Source):
    program = forward_program(exercise, source)
    drawn = drawing(program, exercise.input_names)
    theirs, line = read_graph(source, exercise.student)
    expected = {n.name: set(n.inputs) for n in drawn}
    missing = sorted(_edges(expected) - _edges(theirs))
    extra = sorted(_edges(theirs) - _edges(expected))
    unknown = sorted(set(theirs) - set(expected))
    problems = []
    if unknown:
        problems.append(f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not "
                        f"a node of {program.name}")
    problems += [f"the edge {a} → {b} is missing" for a, b in missing]
    problems += [f"the edge {a} → {b} is not in {program.name}" for a, b in extra
                 if a not in unknown and b not in unknown]
    checks = [_check(not problems, "; ".join(problems[:4]) + (
        f" (and {len(problems) - 4} more)" if len(problems) > 4 else "")
        if problems else f"the edges of {program.name}")]
    checks.append(_of_function(exercise, theirs, program))
    return checks, drawn, line


def _of_function(exercise: Exercise, graph: Mapping[str, set[str]], program: Program
                 ) -> PointResult:
    cycle = _cycle(graph)
    if cycle:
        return _check(False, f"the graph has a cycle: {' → '.join(cycle)}")
    leaves = {n for n, inputs in graph.items() if not inputs}
    inputs = set(exercise.input_names)
    if leaves != inputs:
        wrong = sorted(leaves - inputs)
        absent = sorted(inputs - leaves)
        text = []
        if wrong:
            text.append(f"{', '.join(wrong)} {'has' if len(wrong) == 1 else 'have'} no inputs "
                        "but is not an input of the function")
        if absent:
            text.append(f"the input{'s' if len(absent) > 1 else ''} {', '.join(absent)} "
                        f"{'are' if len(absent) > 1 else 'is'} not a leaf of the graph")
        return _check(False, "; ".join(text))
    read = {i for inputs in graph.values() for i in inputs}
    outputs = sorted(n for n in graph if n not in read)
    if outputs != [program.result]:
        return _check(False, f"the graph's outputs (nodes nothing reads) are "
                             f"{', '.join(outputs) or 'none'}; it should have one, "
                             f"{program.result} (what {program.name} returns)")
    return _check(True, f"a graph of the function (inputs {', '.join(exercise.input_names)}, "
                        f"output {program.result})")


def _cycle(graph: Mapping[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}
    for start in graph:
        if start in state:
            continue
        stack = [(start, iter(sorted(graph.get(start, ()))))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                return path[path.index(child):] + [child]
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))
    return []


# --- adjoints ----------------------------------------------------------------------------

def _adjoints(exercise: Exercise, points: Sequence[TestPoint], source: Source):
    forward = forward_program(exercise, source)
    nodes = [n.name for n in drawing(forward, exercise.input_names)]
    backward = read_program(source, exercise.student, exercise.input_names,
                            nodes=forward.targets)
    children = {n: [line.target for line in forward.lines if n in line.reads] for n in nodes}
    lines = {line.target[len(ADJOINT_PREFIX):]: line for line in backward.lines
             if line.target.startswith(ADJOINT_PREFIX)}
    missing = [n for n in nodes if n not in lines]
    checks = [_check(not missing, (
        f"no adjoint line for {', '.join(missing)} (write {ADJOINT_PREFIX}{missing[0]} = ...)"
        if missing else f"one adjoint line for each of the {len(nodes)} nodes"))]
    checks.append(_children(lines, children))
    checks.append(_adjoint_values(exercise, points, forward, backward, lines))
    return checks, (), backward.line


def _children(lines: Mapping, children: Mapping[str, list[str]]) -> PointResult:
    for node, line in lines.items():
        read = [n[len(ADJOINT_PREFIX):] for n in line.reads if n.startswith(ADJOINT_PREFIX)
                and n[len(ADJOINT_PREFIX):] in children]
        mine = children.get(node, [])
        extra = [n for n in read if n not in mine]
        absent = [n for n in mine if n not in read]
        if extra or absent:
            what = []
            if extra:
                what.append(f"reads the adjoint of {', '.join(extra)}, not "
                            f"{'a direct child' if len(extra) == 1 else 'direct children'} "
                            f"of {node}")
            if absent:
                what.append(f"misses the child{'ren' if len(absent) > 1 else ''} "
                            f"{', '.join(absent)}")
            kids = ", ".join(mine) or "none: it is the output, its adjoint is 1"
            return _check(False, f"line {line.line}: {line.target} = {line.text} "
                                 f"{' and '.join(what)} (the children of {node}: {kids})")
    return _check(True, "each adjoint reads its direct children only")


def _adjoint_values(exercise: Exercise, points: Sequence[TestPoint], forward: Program,
                    backward: Program, lines: Mapping) -> PointResult:
    names = [n for n in lines]
    for point in points:
        try:
            env, out = run_forward(forward, point.inputs)
            nodes = [env[n] for n in names]
            grads = engine.backward(out, nodes, np.ones(out.shape))
        except EvaluationError as exc:
            return _check(False, f"cannot evaluate {forward.name} at {_inputs_text(point)}: "
                                 f"{exc}")
        values: dict[str, np.ndarray] = {n: np.asarray(node.value) for n, node in env.items()}
        values.update({ADJOINT_PREFIX + n: g for n, g in zip(names, grads, strict=True)})
        for line in backward.lines:
            try:
                got = np.asarray(line.expression.evaluate(values), dtype=float)
            except EvaluationError as exc:
                return _check(False, f"line {line.line}: {line.target} = {line.text} cannot "
                                     f"be evaluated at {_inputs_text(point)}: {exc}")
            if not line.target.startswith(ADJOINT_PREFIX):
                values[line.target] = got          # a local derivative, used below
                continue
            node = line.target[len(ADJOINT_PREFIX):]
            expected = values[line.target]
            if got.shape != expected.shape and got.size and _broadcasts(got, expected.shape):
                got = np.broadcast_to(got, expected.shape)
            verdict = compare.compare(expected, got, rtol=exercise.tolerance.rtol,
                                      atol=exercise.tolerance.atol, label=line.target)
            if not verdict.passed:
                return _check(False, (
                    f"line {line.line}: {line.target} = {line.text} is {_short(got)} at "
                    f"{_inputs_text(point)}, but the adjoint of {node} is {_short(expected)} "
                    f"there (with the true adjoints of its children put in: "
                    f"{verdict.diagnosis})"), (verdict,))
    return _check(True, f"every adjoint right at {len(points)} points")


def _broadcasts(value: np.ndarray, shape: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(value.shape, shape)
    except ValueError:
        return False
    return np.broadcast_shapes(value.shape, shape) == shape
