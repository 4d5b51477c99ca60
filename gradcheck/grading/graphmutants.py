"""Typical wrong answers to graph exercises, made from the reference solution's text.

A graph exercise is answered in lines, so its mistakes are wrong lines: ``validate`` edits the
solution's text (one mistake each), parses it again and grades it like a submission
(:func:`gradcheck.grading.graph.grade_graph`); every mutant must lose the part's points.
Nothing is run.

- variables: two operations on one line (a variable read once is put into its reader), a
  missing reuse (a variable read twice is computed again for its second reader);
- graph: an edge missing;
- adjoints: a child missing from an adjoint (one term of a sum dropped), a wrong local
  derivative (one term's local derivative doubled), a grandchild read directly (a child's
  adjoint replaced by that child's child's).

>>> from pathlib import Path
>>> from gradcheck.grading.graphsource import read_source
>>> from gradcheck.spec import load_sheet
>>> exercise = load_sheet("sheet01").exercise("2c-A")
>>> [name for name, _ in mutants(exercise, read_source(Path("solutions/sheet01.py")))]
['a child missing', 'a wrong local derivative', 'a grandchild read directly']
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from gradcheck.grading.graph import grade_graph
from gradcheck.grading.graphread import ADJOINT_PREFIX, LineError, read_graph
from gradcheck.grading.graphsource import Source, definition, parse_source
from gradcheck.spec import Exercise
from gradcheck.spec.graph import ADJOINTS, GRAPH, VARIABLES
from gradcheck.spec.sampling import TestPoint


def mutants(exercise: Exercise, source: Source) -> list[tuple[str, Source]]:
    """(name, mutated submission) for each mistake that applies to ``exercise``'s answer in
    ``source``."""
    part = exercise.graph.part
    made = {VARIABLES: _variables, GRAPH: _graph, ADJOINTS: _adjoints}[part](exercise, source)
    return [(name, parse_source(text, source.filename)) for name, text in made]


def run(exercise: Exercise, points: Sequence[TestPoint], source: Source
        ) -> list[tuple[str, bool]]:
    """(name, caught) for every mutant: caught when it loses the exercise's points."""
    return [(name, grade_graph(exercise, points, mutated).score < exercise.points)
            for name, mutated in mutants(exercise, source)]


def _function(source: Source, name: str) -> list[ast.Assign]:
    node = definition(source, name)
    if not isinstance(node, ast.FunctionDef):
        return []
    return [s for s in node.body if isinstance(s, ast.Assign) and len(s.targets) == 1
            and isinstance(s.targets[0], ast.Name)]


def _replace(source: Source, edits: dict[int, tuple[int, str | None]],
             before: dict[int, str] | None = None) -> str:
    """The text with statements replaced: first line -> (last line, new text or None to
    remove it); ``before`` inserts a line before the one with that number."""
    out: list[str] = []
    skip_until = 0
    for number, line in enumerate(source.text.splitlines(), start=1):
        if number <= skip_until:
            continue
        if before and number in before:
            out.append(before[number])
        if number in edits:
            skip_until, text = edits[number]
            if text is not None:
                out.append(text)
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def _span(statement: ast.stmt) -> int:
    return statement.end_lineno or statement.lineno


def _line(statement: ast.Assign, value: ast.expr) -> tuple[int, str]:
    indent = " " * statement.col_offset
    return _span(statement), f"{indent}{statement.targets[0].id} = {ast.unparse(value)}"


class _Rename(ast.NodeTransformer):
    def __init__(self, old: str, new: ast.expr):
        self.old, self.new = old, new

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return self.new if node.id == self.old else node


def _reads(statement: ast.Assign) -> set[str]:
    return {n.id for n in ast.walk(statement.value) if isinstance(n, ast.Name)}


def _variables(exercise: Exercise, source: Source) -> Iterator[tuple[str, str]]:
    lines = _function(source, exercise.student)
    for k, line in enumerate(lines):
        name = line.targets[0].id
        readers = [later for later in lines[k + 1:] if name in _reads(later)]
        if len(readers) == 1 and isinstance(line.value, (ast.BinOp, ast.Call)):
            reader = readers[0]
            value = _Rename(name, line.value).visit(ast.parse(ast.unparse(reader.value),
                                                              mode="eval").body)
            yield "two operations on one line", _replace(
                source, {line.lineno: (_span(line), None), reader.lineno: _line(reader, value)})
            break
    for k, line in enumerate(lines):
        name = line.targets[0].id
        readers = [later for later in lines[k + 1:] if name in _reads(later)]
        if len(readers) >= 2:
            second = readers[1]
            again = name + "_again"
            value = _Rename(name, ast.Name(again, ast.Load())).visit(
                ast.parse(ast.unparse(second.value), mode="eval").body)
            indent = " " * second.col_offset
            yield "a missing reuse", _replace(
                source, {second.lineno: _line(second, value)},
                {second.lineno: f"{indent}{again} = {ast.unparse(line.value)}"})
            break


def _graph(exercise: Exercise, source: Source) -> Iterator[tuple[str, str]]:
    try:
        graph, line = read_graph(source, exercise.student)
    except LineError:
        return
    node = definition(source, exercise.student)
    edges = sorted((start, end) for end, starts in graph.items() for start in starts)
    if not edges:
        return
    kept = {}
    for start, end in edges[1:]:
        kept.setdefault(end, []).append(start)
    yield "an edge missing", _replace(source, {line: (_span(node),
                                                      f"{exercise.student} = {kept!r}")})


def _terms(value: ast.expr) -> list[ast.expr]:
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
        return _terms(value.left) + _terms(value.right)
    return [value]


def _sum(terms: list[ast.expr]) -> ast.expr:
    total = terms[0]
    for term in terms[1:]:
        total = ast.BinOp(total, ast.Add(), term)
    return total


def _adjoint_of(term: ast.expr) -> str | None:
    if isinstance(term, ast.BinOp) and isinstance(term.op, ast.Mult) \
            and isinstance(term.left, ast.Name) and term.left.id.startswith(ADJOINT_PREFIX):
        return term.left.id
    return None


def _adjoints(exercise: Exercise, source: Source) -> Iterator[tuple[str, str]]:
    lines = [s for s in _function(source, exercise.student)
             if s.targets[0].id.startswith(ADJOINT_PREFIX)]
    for line in lines:
        terms = _terms(line.value)
        if len(terms) >= 2:
            yield "a child missing", _replace(source,
                                              {line.lineno: _line(line, _sum(terms[1:]))})
            break
    for line in lines:
        terms = _terms(line.value)
        if _adjoint_of(terms[0]):
            doubled = ast.BinOp(ast.BinOp(terms[0].left, ast.Mult(), terms[0].right),
                                ast.Mult(), ast.Constant(2))
            yield "a wrong local derivative", _replace(
                source, {line.lineno: _line(line, _sum([doubled, *terms[1:]]))})
            break
    by_target = {line.targets[0].id: line for line in lines}
    for line in lines:
        terms = _terms(line.value)
        child = _adjoint_of(terms[0])
        inner = by_target.get(child)
        grandchild = _adjoint_of(_terms(inner.value)[0]) if inner is not None else None
        if grandchild:
            swapped = ast.BinOp(ast.Name(grandchild, ast.Load()), ast.Mult(), terms[0].right)
            yield "a grandchild read directly", _replace(
                source, {line.lineno: _line(line, _sum([swapped, *terms[1:]]))})
            break
