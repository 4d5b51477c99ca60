"""Grading in this process (a notebook's kernel) gives the sandbox's verdicts.

The same prepared sheet is graded twice: by ``grader.grade`` in a sandbox worker, and by
``grader.grade_exercise`` with the in-process caller over the same code run in this process.
Every exercise must come out the same (status, score, message, every test point), for the
reference solutions and for the wrong submissions of tests/submissions.
"""

import linecache
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from gradcheck.grading import grader, graph, graphsource, messages
from gradcheck.grading.inprocess import InProcess
from gradcheck.sandbox import Request, Sandbox
from gradcheck.spec import load_sheet

ROOT = Path(__file__).resolve().parents[2]
SUBMISSIONS = ROOT / "tests" / "submissions"
SOLUTIONS = {"sheet01": "sheet01.py", "d2l-calculus": "d2l_calculus.py",
             "matrix-calculus": "matrix_calculus.py", "vector-calculus": "vector_calculus.py",
             "layers": "layers.py"}
PREFIXES = {"d2l_": "d2l-calculus", "mc_": "matrix-calculus", "vc_": "vector-calculus"}
RAISES_1B = "def d_1b(x, mu, sigma):\n    return {}[x]\n"
CASES = [(sheet, None) for sheet in SOLUTIONS] + [
    (next((s for p, s in PREFIXES.items() if path.name.startswith(p)), "sheet01"), path.name)
    for path in sorted(SUBMISSIONS.glob("*.py")) if path.name != "syntax_error.py"
] + [("sheet01", RAISES_1B)]


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as box:
        yield box


def _without_timings(value):   # the same as in test_grader
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k != "duration"}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def _submission(tmp_path: Path, sheet, override: str | None) -> Path:
    """The reference solution, with a wrong answer appended (later definitions win)."""
    text = (ROOT / "solutions" / SOLUTIONS[sheet.name]).read_text()
    if override is not None:
        extra = override if "\n" in override else (SUBMISSIONS / override).read_text()
        text += "\n\n" + extra
    path = tmp_path / f"{sheet.module}.py"
    path.write_text(text)
    return path


def _run_here(path: Path) -> dict:
    """The submission's code run in this process, as a kernel runs a cell: compiled under its
    name, its lines known to linecache."""
    text = path.read_text()
    linecache.cache[path.name] = (len(text), None, text.splitlines(True), path.name)
    namespace = {"__name__": "__main__"}
    exec(compile(text, path.name, "exec"), namespace)
    return namespace


@pytest.mark.parametrize("sheet_name, override", CASES,
                         ids=[f"{s}:{(o or 'solution').split(chr(10))[0]}" for s, o in CASES])
def test_the_same_verdicts_as_grade(tmp_path, sandbox, sheet_name, override):
    prepared = grader.prepare(load_sheet(sheet_name))
    path = _submission(tmp_path, prepared.sheet, override)
    official = grader.grade(prepared, path, sandbox=sandbox, timeout=0.5)
    assert official.load_error is None
    ask = InProcess(_run_here(path), filename=path.name)
    here = []
    for exercise in prepared.sheet.exercises:
        if exercise.kind == "graph":   # read as text in both places, never run
            here.append(graph.grade_graph(exercise, prepared.points[exercise.id],
                                          graphsource.read_source(path)))
        else:
            here.append(grader.grade_exercise(prepared, exercise, ask, ask.defs,
                                              filename=path.name, timeout=0.5))
    lost = 0.0
    # as check_all and grade do: an exercise failing with one it uses says so
    for mine, theirs in zip(messages.builds_on(prepared.sheet, here), official.exercises,
                            strict=True):
        # line_no may differ: the worker names the last line that assigns to a name
        # (`Mul.backward = ...`), the kernel the class statement
        assert _without_timings(mine.to_dict()) | {"line_no": None} \
            == _without_timings(theirs.to_dict()) | {"line_no": None}
        lost += mine.points - mine.score if mine.automatic else 0
    assert (lost > 0) == (override is not None)


def test_a_raised_exception_is_the_students_error(tmp_path):
    namespace = _run_here(_submission(tmp_path, load_sheet("sheet01"), RAISES_1B))
    outcome = InProcess(namespace, filename="sheet01.py")(
        [Request.call("d_1b", [np.array(0.5), np.array(0.0), np.array(1.0)])])[0]
    assert outcome.status == "error"
    assert outcome.message.startswith("KeyError: ")
    assert outcome.message.endswith(
        f"in d_1b (sheet01.py, line {outcome.line}: return {{}}[x])")
    assert "gradcheck" not in outcome.traceback and "sheet01.py" in outcome.traceback


def _loops(x):
    while True:
        pass


def _swallows(x):
    while True:
        try:
            while True:
                pass
        except BaseException:  # noqa: BLE001 - a student catching everything
            pass


def _sleeps(x):
    time.sleep(60)


@pytest.mark.parametrize("function, thread", [
    (_loops, False), (_swallows, False), (_sleeps, False),
    (_loops, True),   # off the main thread only loops are stopped (no signal)
])
def test_a_call_that_does_not_return_is_stopped_with_the_worker_message(function, thread):
    ask = InProcess({"d_1c": function})
    request = Request.call("d_1c", [np.array(1.0)], timeout=0.3)
    found = []
    tracer = sys.gettrace()
    started = time.monotonic()
    if thread:
        worker = threading.Thread(target=lambda: found.extend(ask([request])))
        worker.start()
        worker.join(10)
    else:
        found.extend(ask([request]))
    assert time.monotonic() - started < 5
    assert [(o.status, o.message) for o in found] == [
        ("timeout", "calling d_1c did not finish within 0.3 s")]
    time.sleep(0.2)   # nothing is left armed: no late interruption arrives here
    assert sys.gettrace() is tracer


def test_the_students_writes_to_an_input_do_not_reach_the_test_point():
    def d_1c(x):
        x *= 0
        return x

    point = np.array([1.0, 2.0])
    outcome = InProcess({"d_1c": d_1c})([Request.call("d_1c", [point])])[0]
    assert outcome.ok and point.tolist() == [1.0, 2.0]


def test_answers_are_converted_as_the_worker_converts_them():
    class Rigged(np.ndarray):
        def __eq__(self, other):
            return True

    namespace = {"f": lambda x: np.zeros(2).view(Rigged) + 1, "g": lambda x: "0.5",
                 "h": lambda x: [np.float32(1.5), 2]}
    ask = InProcess(namespace)
    f, g, h = (ask.ask(Request.call(n, [np.array(1.0)])) for n in "fgh")
    assert type(f.value) is np.ndarray and f.value.tolist() == [1.0, 1.0]
    assert (g.status, g.message) == ("invalid", "g returned a str")
    assert h.value.dtype == np.float64 and h.value.tolist() == [1.5, 2.0]


def test_printed_output_is_kept_with_the_outcome():
    def noisy(x):
        print("x is", float(x))
        return x

    outcome = InProcess({"noisy": noisy}).ask(Request.call("noisy", [np.array(2.0)]))
    assert outcome.output == "x is 2.0\n"


def test_an_interrupted_kernel_stops_the_check():
    def interrupted(x):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        InProcess({"d_1c": interrupted}).ask(Request.call("d_1c", [np.array(1.0)]))


def test_check_all_in_a_kernel_says_what_an_exercise_builds_on(tmp_path, capsys, monkeypatch):
    # the notebook front end's whole-sheet table, run here on a namespace as a kernel holds it
    from gradcheck import notebook

    monkeypatch.setattr(notebook, "_chosen", None)   # use() below chooses only for this test
    path = _submission(tmp_path, load_sheet("sheet01"), "mul_swapped.py")
    notebook.use("sheet01")
    report = notebook.check_all(namespace=_run_here(path))
    capsys.readouterr()
    failing = {e.id: e.message for e in report.result.exercises
               if e.status != "pass" and e.kind != "graph"}   # a kernel's In: not here
    assert set(failing) == {"3a-mul", "3b-A", "3b-B"}, failing
    assert failing["3b-A"].endswith("it builds on 3a-mul (fail): fix that first")
