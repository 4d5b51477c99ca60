"""Graph exercises (sheet01's Exercise 2) graded through the real CLI: the reference solution
with one deliberate mistake appended (later definitions win) loses exactly that part's points,
and what cannot be read is that part's zero with the line, never a crash."""

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcheck.cli import main
from gradcheck.errors import SpecError
from gradcheck.spec import parse_sheet

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "sheet01.py"

FORWARD_A = """
def forward_A(a, b, c):
    t1 = a + b
    t2 = c**2
    t3 = t1 + t2
    t4 = np.sqrt(t3)
    t5 = np.log(t3)
    t6 = b * t2
    t7 = t3 / t6
    t8 = t4 + t5
    t9 = t8 + t7
    return t9
"""
GRAPH_A = """
graph_A = {"t1": ["a", "b"], "t2": ["c"], "t3": ["t1", "t2"], "t4": ["t3"], "t5": ["t3"],
           "t6": ["b", "t2"], "t7": ["t3", "t6"], "t8": ["t4", "t5"], "t9": ["t8", "t7"]}
"""
BACKWARD_A = """
def backward_A(a, b, c, t1, t2, t3, t4, t5, t6, t7, t8, t9):
    g_t9 = 1.0
    g_t8 = g_t9 * 1
    g_t7 = g_t9 * 1
    g_t6 = g_t7 * (-t3 / t6**2)
    g_t5 = g_t8 * 1
    g_t4 = g_t8 * 1
    g_t3 = g_t4 * (1 / (2 * np.sqrt(t3))) + g_t5 * (1 / t3) + g_t7 * (1 / t6)
    g_t2 = g_t3 * 1 + g_t6 * b
    g_t1 = g_t3 * 1
    g_a = g_t1 * 1
    g_b = g_t1 * 1 + g_t6 * t2
    g_c = g_t2 * (2 * c)
    return g_a, g_b, g_c
"""


def grade(tmp_path, extra: str):
    path = tmp_path / "sheet01.py"
    path.write_text(SOLUTION.read_text() + "\n\n" + textwrap.dedent(extra))
    result = CliRunner().invoke(main, ["grade", "sheet01", "--submission", str(path),
                                       "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return {e["id"]: e for e in json.loads(result.output)["exercises"]}, \
        json.loads(result.output)["score"]


@pytest.mark.parametrize("extra, loser, phrase", [
    # two operations on one line (and the graph that goes with it)
    (FORWARD_A.replace("    t3 = t1 + t2\n", "    t3 = t1 + c**2\n")
     + GRAPH_A.replace('"t3": ["t1", "t2"]', '"t3": ["t1", "c"]')
     + BACKWARD_A.replace("g_t2 = g_t3 * 1 + g_t6 * b", "g_t2 = g_t6 * b")
     .replace("g_c = g_t2 * (2 * c)", "g_c = g_t2 * (2 * c) + g_t3 * (2 * c)"), "2a-A",
     "t3 = t1 + c**2 has 2 operations (+, **)"),
    # an expression recomputed instead of reused (c² again)
    (FORWARD_A.replace("    t6 = b * t2\n", "    t10 = c**2\n    t6 = b * t10\n")
     + GRAPH_A.replace('"t6": ["b", "t2"]', '"t6": ["b", "t10"], "t10": ["c"]')
     + BACKWARD_A.replace("g_t2 = g_t3 * 1 + g_t6 * b", "g_t2 = g_t3 * 1\n    g_t10 = g_t6 * b")
     .replace("g_t6 * t2", "g_t6 * t10")
     .replace("g_c = g_t2 * (2 * c)", "g_c = g_t2 * (2 * c) + g_t10 * (2 * c)"), "2a-A",
     "t10 = c**2 computes the same value as line"),
    # a graph edge missing
    (GRAPH_A.replace('"t6": ["b", "t2"]', '"t6": ["t2"]'), "2b-A",
     "the edge b → t6 is missing"),
    # an adjoint that skips a child (t3's child t7)
    (BACKWARD_A.replace(" + g_t7 * (1 / t6)", ""), "2c-A",
     "g_t3 = g_t4 * (1 / (2 * np.sqrt(t3))) + g_t5 * (1 / t3) misses the child t7"),
    # an adjoint with a wrong local derivative (d log(t3)/dt3 taken as t3)
    (BACKWARD_A.replace("g_t5 * (1 / t3)", "g_t5 * t3"), "2c-A",
     "but the adjoint of t3 is"),
    # an adjoint that uses a grandchild directly (g_t9 instead of g_t8 for t4)
    (BACKWARD_A.replace("    g_t4 = g_t8 * 1\n", "    g_t4 = g_t9 * 1\n"), "2c-A",
     "reads the adjoint of t9, not a direct child of t4 and misses the child t8"),
])
def test_a_wrong_part_loses_exactly_its_points(tmp_path, extra, loser, phrase):
    exercises, score = grade(tmp_path, extra)
    for e in exercises.values():
        if e["id"] == loser:
            assert e["score"] == 0 and e["status"] == "fail", e
            assert phrase in e["message"], e["message"]
        else:
            assert e["score"] == e["points"], e
    assert score == 100 - exercises[loser]["points"]


def test_the_reference_solution_passes_every_criterion(tmp_path):
    exercises, score = grade(tmp_path, "")
    assert score == 100
    graph = [e for e in exercises.values() if e["kind"] == "graph"]
    assert len(graph) == 6 and all(e["message"].startswith("all ") for e in graph)
    assert {n["name"] for n in exercises["2b-A"]["graph"]} == \
        {"a", "b", "c", *(f"t{i}" for i in range(1, 10))}


@pytest.mark.parametrize("extra, losers, phrase", [
    # something the expression language does not know: that part's zero, with the line
    (FORWARD_A.replace("np.sqrt(t3)", "__import__('os').getcwd()"), {"2a-A", "2b-A", "2c-A"},
     "t4 = __import__('os').getcwd(): only the allowed"),
    (FORWARD_A.replace("    t8 = t4 + t5\n", "    for i in range(3):\n        pass\n"
                       "    t8 = t4 + t5\n"), {"2a-A", "2b-A", "2c-A"}, "not a for loop"),
    ("graph_B = [('w1', 't1', 'x')]\n", {"2b-B"}, "each edge of graph_B is a pair"),
    ("graph_B = {'t1': 'w1'}\n", {"2b-B"}, "should be a list of the nodes"),
    ("graph_B = {'t1': ['w1', 'x'], 't2': ['t1']}\n", {"2b-B"}, "the edge w0 → t2 is missing"),
    ("def backward_B(w0, w1, x, y):\n    g_t5 = 1\n    g_q = 2\n", {"2c-B"},
     "there is no node q"),
    ("def forward_B(w0, w1, x, y):\n    t1 = w1 * x\n    t2 = w0 + t1\n    t3 = t2 - y\n"
     "    t4 = t3**2\n" + "    t5 = np.sum(" * 60 + "t4" + ")" * 60 + "\n    return t5\n",
     {"2a-B", "2b-B", "2c-B"}, "the expression is too large"),
])
def test_what_cannot_be_read_is_a_zero_with_the_reason(tmp_path, extra, losers, phrase):
    exercises, score = grade(tmp_path, extra)
    lost = {i for i, e in exercises.items() if e["score"] < e["points"]}
    assert lost == losers
    assert any(phrase in exercises[i]["message"] for i in losers), \
        [exercises[i]["message"] for i in losers]


def test_follow_through_adjoints_of_a_wrong_but_consistent_forward(tmp_path):
    # forward_A without the log term computes the wrong function, so 2a-A fails; its own
    # graph and adjoints are still right, and 2b-A and 2c-A are graded against it.
    forward = FORWARD_A.replace("    t5 = np.log(t3)\n", "    t5 = t3 * 2\n")
    backward = BACKWARD_A.replace("g_t5 * (1 / t3)", "g_t5 * 2")
    exercises, _ = grade(tmp_path, forward + backward)
    assert exercises["2a-A"]["score"] == 0 and "but the function is" in \
        exercises["2a-A"]["message"]
    assert exercises["2b-A"]["score"] == 8 and exercises["2c-A"]["score"] == 6


MINIMAL = """
sheet: s
title: t
exercises:
  - {id: v, title: t, points: 1, kind: graph, part: variables, student: f,
     function: "a * b", inputs: {a: {}, b: {}}}
"""


@pytest.mark.parametrize("extra, line, key, phrase", [
    ("  - {id: g, title: t, points: 1, kind: graph, part: graph, of: nope, student: G}\n",
     7, "of", "not a variables part earlier"),
    ("  - {id: g, title: t, points: 1, kind: graph, part: drawing, student: G}\n",
     7, "part", "unknown part"),
    ("  - {id: g, title: t, points: 1, kind: graph, part: graph, of: v, student: G,"
     " function: 'a'}\n", 7, "function", "unknown key"),
])
def test_graph_spec_errors_name_file_line_and_key(extra, line, key, phrase):
    with pytest.raises(SpecError) as info:
        parse_sheet(MINIMAL + extra, file="s.yaml")
    assert (info.value.line, info.value.key) == (line, key) and phrase in info.value.message


def test_a_linked_part_takes_the_function_and_inputs_of_its_variables_part():
    sheet = parse_sheet(MINIMAL + "  - {id: g, title: t, points: 1, kind: graph, part: graph,"
                        " of: v, student: G}\n")
    g = sheet.exercise("g")
    assert g.input_names == ("a", "b") and g.graph.forward == "f"
    assert g.function.text == "a * b" and g.wrt == ("a", "b")


@pytest.mark.parametrize("exercise_id, name, phrase", [
    ("2a-A", "two operations on one line", "has 2 operations"),
    ("2a-A", "a missing reuse", "computes the same value as"),
    ("2b-A", "an edge missing", "is missing"),
    ("2b-B", "an edge missing", "is missing"),
    ("2c-A", "a child missing", "misses the child"),
    ("2c-A", "a wrong local derivative", "but the adjoint of"),
    ("2c-A", "a grandchild read directly", "not a direct child"),
    ("2c-B", "a wrong local derivative", "but the adjoint of"),
])
def test_validate_mutants_lose_the_points_for_their_reason(exercise_id, name, phrase):
    from gradcheck.grading import graph, graphmutants, graphsource
    from gradcheck.spec import load_sheet
    from gradcheck.spec.sampling import sample_points

    exercise = load_sheet("sheet01").exercise(exercise_id)
    made = dict(graphmutants.mutants(exercise, graphsource.read_source(SOLUTION)))
    result = graph.grade_graph(exercise, sample_points(exercise, 1), made[name])
    assert result.score == 0 and phrase in result.message, result.message


def test_quoted_lines_are_the_source_segments_python_reports():
    # The submission is split into lines once; quoting a node must give what
    # ast.get_source_segment gives, whatever the line endings and characters.
    import ast

    from gradcheck.grading.graphsource import parse_source, source_segment

    text = "a = 1\r\nt1 = (x +\n   é * 2)\x0c\ny = [1,\r 2]\nz = 'ü' + w\n"
    source = parse_source(text, "s.py")
    nodes = [n for n in ast.walk(source.tree) if isinstance(n, ast.expr)]
    assert len(nodes) > 10
    for node in nodes:
        assert source_segment(source.lines, node) == ast.get_source_segment(text, node)
