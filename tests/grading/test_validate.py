"""``gradcheck validate``: every bundled sheet passes, and specs that cannot separate right
answers from wrong ones fail (wrong reference solution, points that cannot catch a mutant,
points where the function is not differentiable or not defined)."""

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from gradcheck.cli import main
from gradcheck.errors import SpecError
from gradcheck.grading.mutants import mutants_for
from gradcheck.grading.validate import find_solution, solution_candidates, validate
from gradcheck.spec import bundled_sheets, load_sheet, parse_sheet
from gradcheck.spec.sampling import sample_points

ROOT = Path(__file__).resolve().parents[2]
SUBMISSIONS = Path(__file__).resolve().parents[1] / "submissions"


def run(*args):
    return CliRunner().invoke(main, ["validate", *args])


def run_json(*args):
    result = run(*args, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.output)


def write_spec(folder: Path, exercises: str, solution: str | None = None) -> Path:
    """A one-sheet spec ``exercises/demo.yaml`` and its solution ``solutions/demo.py``."""
    (folder / "exercises").mkdir()
    spec = folder / "exercises" / "demo.yaml"
    spec.write_text("sheet: demo\ntitle: Demo\nseed: 3\nexercises:\n"
                    + textwrap.indent(textwrap.dedent(exercises), "  "))
    if solution is not None:
        (folder / "solutions").mkdir()
        (folder / "solutions" / "demo.py").write_text(textwrap.dedent(solution))
    return spec


def exercise_findings(report, exercise_id):
    return next(e for e in report["exercises"] if e["id"] == exercise_id)["findings"]


@pytest.fixture(scope="module")
def bundled():
    """validate --format json of every bundled sheet, found without --solution."""
    return {name: run_json(name) for name in bundled_sheets()}


@pytest.mark.parametrize("sheet", ["sheet01", "vector-calculus", "matrix-calculus",
                                   "d2l-calculus", "layers"])
def test_every_bundled_sheet_passes(bundled, sheet):
    code, report = bundled[sheet]
    assert code == 0, [f for e in report["exercises"] for f in e["findings"]]
    assert report["passed"] and report["errors"] == 0
    assert Path(report["solution"]).resolve() == (ROOT / "solutions" /
                                                  f"{load_sheet(sheet).module}.py").resolve()
    for e in report["exercises"]:
        assert e["score"] == e["points"]
        assert e["mutants"] and all(m["verdict"] != "missed" for m in e["mutants"])
        assert any(m["verdict"] == "caught" for m in e["mutants"])


def test_bundled_reports_name_equivalent_and_node_mutants(bundled):
    _, report = bundled["sheet01"]
    mutants = {e["id"]: {m["name"]: m for m in e["mutants"]} for e in report["exercises"]}
    assert mutants["1e"]["transposed"]["verdict"] == "equivalent"     # a diagonal Jacobian
    assert mutants["1d"]["transposed"]["caught"] == mutants["1d"]["transposed"]["points"]
    assert mutants["3a-mul"]["backward: gradients swapped"]["verdict"] == "caught"
    assert mutants["3a-sum"]["backward a: ignores upstream"]["verdict"] == "caught"
    assert mutants["1a"]["difference quotient"]["verdict"] == "caught"


def test_table_output_and_exit_code_of_a_passing_sheet():
    result = run("d2l-calculus", "--solution", str(ROOT / "solutions" / "d2l_calculus.py"))
    assert result.exit_code == 0, result.output
    assert "passes validation" in result.output and "xAx" in result.output


def test_wrong_reference_solution_fails(tmp_path):
    wrong = tmp_path / "vector_calculus.py"
    wrong.write_text((ROOT / "solutions" / "vector_calculus.py").read_text() + "\n\n"
                     + (SUBMISSIONS / "vc_transposed_a_x_half_lsq.py").read_text())
    code, report = run_json("vector-calculus", "--solution", str(wrong))
    assert code == 1 and not report["passed"]
    assert report["errors"] == 2
    for exercise_id in ("a-x", "lsq"):
        (finding,) = exercise_findings(report, exercise_id)
        assert finding["check"] == "solution" and finding["severity"] == "error"
        assert "the reference solution scores 0 of" in finding["message"]
    result = run("vector-calculus", "--solution", str(wrong))
    assert result.exit_code == 1
    assert "FAILS validation" in result.output and "exercise lsq" in result.output


SQUARE = """
- id: square
  title: "x² tested only at 0"
  points: 1
  student: d_square
  function: "x**2"
  inputs: {x: {shape: []}}
  wrt: x
  points_at: [{x: 0.0}]
"""


def test_points_that_cannot_catch_a_factor_two_mutant_fail(tmp_path):
    spec = write_spec(tmp_path, SQUARE, "def d_square(x):\n    return 2 * x\n")
    code, report = run_json(str(spec))
    assert code == 1
    exercise = report["exercises"][0]
    assert exercise["score"] == 1  # the reference solution is right ...
    verdicts = {m["name"]: m["verdict"] for m in exercise["mutants"]}
    assert verdicts["factor 2"] == "missed"  # ... but f′(0) = 0 = 2 f′(0)
    assert verdicts["wrong input"] == "caught"
    (finding,) = exercise["findings"]
    assert finding["check"] == "mutants" and "exercise" not in finding["message"]
    assert "factor 2" in finding["message"] and "cannot tell" in finding["message"]
    result = run(str(spec))
    assert result.exit_code == 1 and "exercise square: the sign flipped, factor 2" in \
        result.output.replace("\n", " ")


def test_a_constant_chosen_as_one_at_every_point_fails(tmp_path):
    spec = write_spec(tmp_path, """
    - id: gauss
      title: "Gaussian bump, σ = 1 at every test point"
      points: 2
      student: d_gauss
      function: "exp(-(x - mu)**2 / (2 * sigma**2))"
      inputs: {x: {shape: []}, mu: {shape: []}, sigma: {shape: [], domain: [0.5, 2]}}
      wrt: x
      points_at: [{x: 0.5, mu: 0.0, sigma: 1.0}, {x: -0.3, mu: 0.2, sigma: 1.0}]
    """, "import numpy as np\n\ndef d_gauss(x, mu, sigma):\n"
         "    return -(x - mu) / sigma**2 * np.exp(-(x - mu)**2 / (2 * sigma**2))\n")
    code, report = run_json(str(spec))
    assert code == 1
    verdicts = {m["name"]: m["verdict"] for m in report["exercises"][0]["mutants"]}
    assert verdicts["sigma taken as 1"] == "missed"  # forgetting σ goes unnoticed
    assert verdicts["mu taken as 0"] == "caught"     # μ = 0.2 at the second point
    (finding,) = exercise_findings(report, "gauss")
    assert "the sigma taken as 1 mutant passes every test point" in finding["message"]


def test_the_same_spec_with_random_points_passes(tmp_path):
    spec = write_spec(tmp_path, SQUARE.replace("[{x: 0.0}]", "[{x: 0.0}, {random: 3}]"),
                      "def d_square(x):\n    return 2 * x\n")
    code, report = run_json(str(spec))
    assert code == 0, report
    caught = {m["name"]: (m["caught"], m["points"]) for m in report["exercises"][0]["mutants"]}
    assert caught["factor 2"] == (3, 4)  # partly caught is enough


def test_points_where_the_function_is_not_differentiable_fail(tmp_path):
    spec = write_spec(tmp_path, """
    - id: kink
      title: "abs at its kink"
      points: 1
      student: d_abs
      function: "abs(x)"
      inputs: {x: {shape: []}}
      wrt: x
      points_at: [{x: 0.0}, {random: 3}]
    """, "import numpy as np\n\ndef d_abs(x):\n    return np.sign(x)\n")
    code, report = run_json(str(spec))
    assert code == 1
    (finding,) = exercise_findings(report, "kink")
    assert finding["check"] == "points"
    assert "demo.yaml:" in finding["message"] and "not differentiable" in finding["message"]


@pytest.mark.parametrize("function, solution", [
    ("sqrt(x)", "0.5 / np.sqrt(x)"),  # value and derivative are NaN below 0
    ("log(x)", "1 / x"),              # the derivative 1/x exists below 0, the value does not
])
def test_a_domain_where_the_function_is_not_defined_fails(tmp_path, function, solution):
    spec = write_spec(tmp_path, f"""
    - id: root
      title: "{function} on [-1, 1]"
      points: 1
      student: d_root
      function: "{function}"
      inputs: {{x: {{shape: [], domain: [-1, 1]}}}}
      wrt: x
    """, f"import numpy as np\n\ndef d_root(x):\n    return {solution}\n")
    code, report = run_json(str(spec))
    assert code == 1
    (finding,) = exercise_findings(report, "root")
    assert finding["severity"] == "error" and "random draws were redrawn" in finding["message"]
    assert report["exercises"][0]["rejected"]


def test_a_few_redraws_are_a_warning(tmp_path):
    spec = write_spec(tmp_path, """
    - id: root
      title: "sqrt, domain just across 0"
      points: 1
      student: d_root
      function: "sqrt(x)"
      inputs: {x: {shape: [], domain: [-0.2, 4]}}
      wrt: x
      points_at: [{random: 30}]
    """, "import numpy as np\n\ndef d_root(x):\n    return 0.5 / np.sqrt(x)\n")
    code, report = run_json(str(spec))
    assert code == 0, report
    (finding,) = exercise_findings(report, "root")
    assert finding["severity"] == "warning" and "1 of 31 random draws" in finding["message"]


def test_an_expression_that_cannot_be_evaluated_fails(tmp_path):
    spec = write_spec(tmp_path, """
    - id: shapes
      title: "mismatched shapes"
      points: 1
      student: jac
      function: "A @ x"
      inputs: {x: {shape: [3]}, A: {shape: [2, 2]}}
      wrt: x
    - id: fine
      title: "a fine one"
      points: 1
      student: d_fine
      function: "sin(x)"
      inputs: {x: {shape: []}}
      wrt: x
    """, "import numpy as np\n\ndef jac(x, A):\n    return A\n\n"
         "def d_fine(x):\n    return np.cos(x)\n")
    code, report = run_json(str(spec))
    assert code == 1 and report["errors"] == 1
    (finding,) = exercise_findings(report, "shapes")
    assert "cannot evaluate 'A @ x'" in finding["message"]
    fine = report["exercises"][1]
    assert fine["score"] == 1 and not fine["findings"]  # the rest is still validated


def test_missing_solution_fails_and_says_where_it_looked(tmp_path):
    spec = write_spec(tmp_path, SQUARE.replace("[{x: 0.0}]", "[{random: 3}]"))
    code, report = run_json(str(spec))
    assert code == 1
    (finding,) = report["findings"]
    assert "no reference solution found; pass --solution" in finding["message"]
    assert "demo.py" in finding["message"]
    assert report["exercises"][0]["mutants"]  # points and mutants are still checked


def test_solution_that_does_not_load_fails(tmp_path):
    spec = write_spec(tmp_path, SQUARE.replace("[{x: 0.0}]", "[{random: 3}]"),
                      "def d_square(x)\n    return 2 * x\n")
    code, report = run_json(str(spec))
    assert code == 1
    assert "did not load" in report["findings"][0]["message"]


def test_usage_and_spec_errors_exit_2(tmp_path):
    result = run("vector-calculus", "--solution", str(tmp_path / "nope.py"))
    assert result.exit_code == 2 and "does not exist" in result.output
    (tmp_path / "notes.txt").write_text("")
    result = run("vector-calculus", "--solution", str(tmp_path / "notes.txt"))
    assert result.exit_code == 2 and "not a .py file" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("sheet: bad\ntitle: t\nexercises:\n  - {id: a, title: t, poinst: 1}\n")
    result = run(str(bad))
    assert result.exit_code == 2 and "bad.yaml:4" in result.output
    result = run("no-such-sheet")
    assert result.exit_code == 2 and "no sheet named" in result.output


def test_solution_lookup_order(tmp_path):
    spec = write_spec(tmp_path, SQUARE, "def d_square(x):\n    return 2 * x\n")
    sheet = load_sheet(str(spec))
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "solutions").mkdir(parents=True)
    assert find_solution(sheet, elsewhere) == tmp_path / "solutions" / "demo.py"
    (elsewhere / "solutions" / "demo.py").write_text("")
    assert find_solution(sheet, elsewhere) == elsewhere / "solutions" / "demo.py"
    assert solution_candidates(sheet, elsewhere)[0] == elsewhere / "solutions" / "demo.py"


# --- the pieces -------------------------------------------------------------------------------

def test_kinks_are_rejected_but_smooth_flat_points_are_not():
    def exercise(function, point):
        text = (f"sheet: k\ntitle: t\nexercises:\n  - {{id: a, title: t, points: 1, "
                f"student: f, function: '{function}', inputs: {{x: {{shape: [2]}}}}, wrt: x, "
                f"points_at: [{{x: {point}}}]}}\n")
        return parse_sheet(text).exercises[0]

    for function, point in [("abs(x)", "[0.0, 1.0]"), ("abs(x[0] - 1) + x[1]", "[1.0, 0.5]"),
                            ("maximum(x, -x)", "[0.5, 0.0]")]:
        with pytest.raises(SpecError, match="not differentiable"):
            sample_points(exercise(function, point), seed=0)
    for function, point in [("x**3", "[0.0, 0.0]"), ("cos(x)", "[0.0, 3.0]"),
                            ("1e-6 * x + 1000", "[1.0, 2.0]"), ("abs(x)", "[0.5, -1.0]")]:
        assert len(sample_points(exercise(function, point), seed=0)) == 1


def test_mutants_of_a_jacobian():
    exercise = load_sheet("sheet01").exercise("1d")
    point = sample_points(exercise, seed=1)[0]
    (expected,) = point.expected
    answers = {m.name: m.answer(exercise, point) for m in mutants_for(exercise)}
    assert set(answers) == {"sign flipped", "factor 2", "factor 1/2", "transposed",
                            "difference quotient", "zeroed entry", "wrong input"}
    np.testing.assert_allclose(answers["factor 1/2"][0], expected / 2)
    assert answers["transposed"][0].shape == (3, 2)
    np.testing.assert_allclose(answers["transposed"][0], expected.T)
    zeroed = answers["zeroed entry"][0]
    assert np.count_nonzero(zeroed != expected) == 1
    assert zeroed[np.unravel_index(np.argmax(np.abs(expected)), expected.shape)] == 0
    np.testing.assert_allclose(answers["difference quotient"][0], expected, rtol=1e-3,
                               atol=1e-3)
    assert not np.allclose(answers["difference quotient"][0], expected, rtol=1e-9, atol=0)


def test_mutants_of_several_answers_and_of_nodes():
    loss = load_sheet("matrix-calculus").exercise("loss")
    names = [m.name for m in mutants_for(loss)]
    assert "d/dA: transposed" in names and "d/db: factor 2" in names
    point = sample_points(loss, seed=0)[0]
    changed = next(m for m in mutants_for(loss) if m.name == "d/db: sign flipped")
    grad_A, grad_b = changed.answer(loss, point)
    np.testing.assert_array_equal(grad_A, point.expected[0])
    np.testing.assert_array_equal(grad_b, -point.expected[1])
    gradient = load_sheet("d2l-calculus").exercise("sqnorm")
    transposed = next(m for m in mutants_for(gradient) if m.name == "transposed")
    assert transposed.answer(gradient, sample_points(gradient, seed=0)[0]) is None

    mul = load_sheet("sheet01").exercise("3a-mul")
    point = sample_points(mul, seed=0)[0]
    answers = {m.name: m.answer(mul, point) for m in mutants_for(mul)}
    value, grad_a, grad_b = point.expected
    np.testing.assert_allclose(answers["backward: gradients swapped"][1], grad_b)
    np.testing.assert_allclose(answers["backward a: ignores upstream"][1], point.inputs["b"])
    np.testing.assert_allclose(answers["forward: wrong input"][0],
                               (point.inputs["a"] + 0.1) * (point.inputs["b"] + 0.1))


def test_library_report_without_solution_names_the_searched_places():
    sheet = load_sheet("d2l-calculus")
    report = validate(sheet, solution=None, searched=[Path("x/solutions/d2l_calculus.py")])
    assert not report.passed
    assert str(report.errors[0]) == ("error: no reference solution found; pass --solution FILE "
                                     "(looked for x/solutions/d2l_calculus.py)")
    assert all(e.score is None for e in report.exercises)
    assert report.to_dict()["errors"] == 1


def test_an_exercise_whose_mistakes_all_equal_the_truth_is_a_warning(tmp_path):
    spec = write_spec(tmp_path, """
    - id: flat
      title: "a constant"
      points: 1
      student: d_flat
      function: "0 * x + 3"
      inputs: {x: {shape: [2]}}
      wrt: x
    """, "import numpy as np\\n\\ndef d_flat(x):\\n    return np.zeros(2)\\n")
    code, report = run_json(str(spec))
    (finding,) = exercise_findings(report, "flat")
    assert finding["severity"] == "warning" and "equals the truth" in finding["message"]
