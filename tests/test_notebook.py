"""``gradcheck.notebook`` in a real IPython kernel: one notebook, executed once by nbclient,
defines the sheet01 functions and checks a right answer, a wrong one, a function that never
returns and one that raises; its outputs are what the student sees. The same notebook is
then graded by ``gradcheck grade``'s grader, which must agree exercise by exercise.
"""

import fcntl
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gradcheck.grading import grader
from gradcheck.spec import load_sheet

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = (ROOT / "solutions" / "sheet01.py").read_text()
NOTE = ("Checked in this kernel (sheet sheet01, seed 2024). The grade that counts is the one "
        "from\n`gradcheck grade sheet01`.")

CELLS = {
    "solution": SOLUTION,
    # no gc.use yet: the sheet comes from the notebook's name (DL-Sheet01.ipynb)
    "guessed": "from gradcheck import notebook as gc\ngc.check('1a')",
    # from here on a copy of sheet01 whose timeout is 1 s
    "use": "gc.use('spec/sheet01.yaml')",
    "right": "gc.check('1a')",
    "wrong": "def d_1c(x):\n    s = 1 / (1 + np.exp(-x))\n    return -s * (1 - s)\n\n"
             "gc.check('1c')",
    "hangs": "def jac_1d(x):\n    while True:\n        pass\n\ngc.check('1d')",
    "raises": "def d_1b(x, mu, sigma):\n    raise ValueError('not yet')\n\ngc.check('1b')",
    "unknown": "gc.check('9z')",
    "load_ext": "%load_ext gradcheck",
    "magic": "%gradcheck 1c",
    "all": "report = gc.check_all()\nreport",
    "verdicts": "import json\n"
                "print(json.dumps({e.id: [e.status, e.score] for e in report.exercises}))",
}


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook after one run in a fresh kernel: {cell name: outputs}, and its folder.

    One run for the whole test session: the first xdist worker to get here runs it (under a
    lock, in the folder the workers share), the others read the executed notebook.
    """
    shared = tmp_path_factory.getbasetemp()
    shared = shared.parent if os.environ.get("PYTEST_XDIST_WORKER") else shared
    folder = shared / "notebook-kernel"
    folder.mkdir(exist_ok=True)
    with open(shared / "notebook-kernel.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "sheet01.ipynb").exists():
            _execute(folder)
    notebook = nbformat.read(folder / "sheet01.ipynb", as_version=4)
    return {name: cell.outputs for name, cell in zip(CELLS, notebook.cells, strict=True)}, folder


def _execute(folder: Path) -> None:
    (folder / "spec").mkdir(exist_ok=True)
    spec = (ROOT / "exercises" / "sheet01.yaml").read_text().replace("\ntimeout: 5\n",
                                                                     "\ntimeout: 1\n")
    assert "\ntimeout: 1\n" in spec
    (folder / "spec" / "sheet01.yaml").write_text(spec)
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in CELLS.values()])
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(folder)}})
    client.execute(env={**os.environ, "JPY_SESSION_NAME": str(folder / "DL-Sheet01.ipynb")})
    nbformat.write(notebook, folder / "sheet01.ipynb")


def shown(outputs) -> tuple[str, str]:
    """(text, HTML) of the one thing a cell displayed; nothing else may be in its outputs."""
    assert [o.output_type for o in outputs] == ["display_data"], outputs
    return outputs[0].data["text/plain"], outputs[0].data["text/html"]


def test_a_right_answer(executed):
    outputs, _ = executed
    text, html = shown(outputs["right"])
    assert text == f"1a  f(x) = cos(x³) ln(x⁴/11)\npass · 2/2 points · all 6 test points passed" \
                   f"\n\n{NOTE}"
    assert "✅ pass" in html and "<b>2/2</b> points" in html
    assert "all 6 test points passed" in html
    assert "The grade that counts is the one from <code>gradcheck grade sheet01</code>" in html
    assert "worst test point" not in html


def test_the_sheet_is_found_from_the_notebook_name(executed):
    outputs, _ = executed
    text, _ = shown(outputs["guessed"])
    assert text.startswith("1a  f(x) = cos(x³) ln(x⁴/11)\npass · 2/2 points")


def test_a_wrong_answer_shows_the_diagnosis_and_the_worst_point(executed):
    outputs, _ = executed
    text, html = shown(outputs["wrong"])
    lines = text.split("\n")
    assert lines[0] == "1c  σ′(x) of the logistic sigmoid"
    assert lines[1].startswith("fail · 0/2 points · d/dx: sign flipped")
    assert lines[2].startswith("worst test point (") and lines[2].endswith(" of 6):")
    assert lines[3].startswith("  input x    ")
    assert lines[4].startswith("  d/dx       expected ") and ", received -" in lines[4]
    assert "tolerance" in lines[5] and "sign flipped" in lines[6]
    assert text.endswith(NOTE)
    assert "❌ fail" in html and "<b>0/2</b> points" in html and "sign flipped" in html
    assert '<table class="gradcheck-point"' in html and ">input x</th>" in html
    assert "received -" in html


def test_a_function_that_never_returns_is_stopped_after_the_specs_timeout(executed):
    outputs, _ = executed
    text, html = shown(outputs["hangs"])
    assert text.split("\n")[:2] == [
        "1d  Jacobian of (√(x₁²−x₃), e^x₂ cos(4x₃))",
        "timeout · 0/2 points · calling jac_1d did not finish within 1 s "
        "(4 more test points not run)"]
    assert "  input x    [2.  0.5 1. ]" in text
    assert "⏱️ timeout" in html and "calling jac_1d did not finish within 1 s" in html


def test_an_exception_is_the_students_error_not_a_traceback(executed):
    outputs, _ = executed
    text, html = shown(outputs["raises"])
    student = "ValueError: not yet in d_1b (In[7], line 2: raise ValueError(&#x27;not yet&#x27;))"
    assert "error · 0/2 points · " + student.replace("&#x27;", "'") in text
    assert "Traceback" not in text and "gradcheck/" not in text
    assert student in html


def test_an_unknown_exercise_is_a_message(executed):
    outputs, _ = executed
    text, html = shown(outputs["unknown"])
    assert text.startswith("gradcheck: sheet01 has no exercise '9z' (its exercises: 1a, 1b,")
    assert "has no exercise &#x27;9z&#x27;" in html


def test_the_line_magic(executed):
    outputs, _ = executed
    assert outputs["load_ext"] == []
    assert shown(outputs["magic"])[0] == shown(outputs["wrong"])[0]


def test_the_whole_sheet_is_shown_once_as_a_table(executed):
    outputs, _ = executed
    text, html = shown(outputs["all"])   # returned as the cell's value too: shown once
    assert "\n│ 1d " in text and "Jacobian of" in text and "timeout" in text
    assert "Total 94/100 automatic points\n" in text
    assert text.endswith(NOTE)
    assert html.startswith('<div class="gradcheck"><pre style=')
    assert "Total 94/100 automatic points" in html
    assert "<code>gradcheck grade sheet01</code>" in html


def test_gradcheck_grade_agrees_on_the_same_notebook(executed):
    outputs, folder = executed
    [printed] = outputs["verdicts"]
    kernel = json.loads(printed.text)
    sheet = load_sheet(str(folder / "spec" / "sheet01.yaml"))
    official = grader.grade(grader.prepare(sheet), folder / "sheet01.ipynb")
    assert {e.id: [e.status, e.score] for e in official.exercises} == kernel
    assert official.score == 94
    # the check cells do not load where gradcheck may not be imported; the code still does
    assert any("importing 'gradcheck' is not allowed" in w for w in official.warnings)


def test_the_command_line_never_imports_the_notebook_front_end(tmp_path):
    (tmp_path / "sheet01.py").write_text(SOLUTION)
    script = textwrap.dedent("""
        import sys
        from gradcheck.cli import main
        try:
            main(["grade", "sheet01"])
        except SystemExit as exit:
            code = exit.code
        loaded = [m for m in ("gradcheck.notebook", "gradcheck.grading.inprocess",
                              "gradcheck.render.notebook", "IPython") if m in sys.modules]
        print(code, loaded)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stdout + done.stderr


# --- without a kernel -----------------------------------------------------------------------

def test_a_forbidden_package_in_the_kernel_is_a_warning(capsys):
    import numpy as np

    from gradcheck import engine, notebook

    def d_1c(x):
        s = 1 / (1 + np.exp(-x))
        return s * (1 - s)

    notebook.use("sheet01")
    report = notebook.check("1c", namespace={"d_1c": d_1c, "autodiff": engine, "np": np})
    text = capsys.readouterr().out
    assert report.exercises[0].passed
    assert report.warnings == ("autodiff comes from gradcheck, which sheet01 forbids: "
                               "`gradcheck grade` will not load a submission that imports it",)
    assert "warning: autodiff comes from gradcheck" in text
    assert notebook.check("1c", namespace={"d_1c": d_1c, "np": np}).warnings == ()


def test_the_front_end_in_the_kernel_is_no_warning(capsys):
    # `from gradcheck import notebook as gc` and what its checks returned stay in the kernel's
    # namespace: they come from gradcheck, which the sheet forbids, but they are this front end
    from gradcheck import notebook

    notebook.use("sheet01")
    earlier = notebook.check("9z", namespace={})
    report = notebook.check("1a")
    again = notebook.check("1c", namespace={"gc": notebook, "report": report, "earlier": earlier,
                                            "check": notebook.check})
    assert again.warnings == (), again.warnings


@pytest.mark.parametrize("notebook_name, files, expected", [
    ("sheet01.ipynb", [], "sheet01"),
    ("DL-Sheet01.ipynb", [], "sheet01"),
    ("Layers.ipynb", [], "layers"),
    (None, ["sheet01.ipynb"], "sheet01"),
    # a spec in the notebook's folder comes before the bundled sheets
    ("sheet01.ipynb", ["course.yaml"], "course"),
])
def test_the_sheet_is_guessed_when_unambiguous(tmp_path, notebook_name, files, expected):
    from gradcheck.notebook import guess_sheet

    for name in files:
        text = (ROOT / "exercises" / "sheet01.yaml").read_text()
        (tmp_path / name).write_text(text.replace("sheet: sheet01", "sheet: course")
                                     if name.endswith(".yaml") else "{}")
    assert guess_sheet(notebook_name, tmp_path).name == expected


@pytest.mark.parametrize("notebook_name", ["Untitled.ipynb", None])
def test_an_unknown_notebook_asks_for_use(tmp_path, notebook_name):
    from gradcheck.errors import SpecError
    from gradcheck.notebook import guess_sheet

    with pytest.raises(SpecError, match=r"call gc.use\("):
        guess_sheet(notebook_name, tmp_path)
