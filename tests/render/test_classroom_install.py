"""Installing gradcheck in the Classroom workflow: a pinned spec from a source the
instructor names, or a wheel of the running gradcheck vendored into the template."""

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy
import pytest
import yaml

import gradcheck
from gradcheck.errors import UsageError
from gradcheck.render.wheel import build_wheel, wheel_name
from gradcheck.render.workflow import VENDOR_DIR, install_target, workflow_yaml, write_classroom
from gradcheck.spec import load_sheet


def install_step(text):
    steps = yaml.safe_load(text)["jobs"]["run-autograding-tests"]["steps"]
    (step,) = [s for s in steps if s["name"] == "Install gradcheck"]
    return step["run"].strip()


@pytest.mark.parametrize("spec, run", [
    ("gradcheck==0.1.0", "python -m pip install gradcheck==0.1.0"),
    ("gradcheck @ git+https://github.com/your-course/gradcheck@v0.1.0",
     "python -m pip install 'gradcheck @ git+https://github.com/your-course/gradcheck@v0.1.0'"),
    ("git+https://github.com/o/gradcheck@3f2a9c1#egg=gradcheck",
     "python -m pip install 'git+https://github.com/o/gradcheck@3f2a9c1#egg=gradcheck'"),
    ("https://example.org/gradcheck-0.1.0-py3-none-any.whl",
     "python -m pip install https://example.org/gradcheck-0.1.0-py3-none-any.whl"),
])
def test_the_install_step_uses_the_given_pinned_spec(spec, run):
    assert install_step(workflow_yaml("sheet01", package_spec=spec)) == run


@pytest.mark.parametrize("spec", ["gradcheck", "gradcheck>=0.1,<0.2",
                                  "git+https://github.com/o/gradcheck", "gradcheck~=0.1"])
def test_specs_that_pin_no_version_are_refused(spec):
    with pytest.raises(UsageError, match="does not pin a version"):
        workflow_yaml("sheet01", package_spec=spec)


def test_one_of_package_spec_and_vendor_is_needed():
    with pytest.raises(UsageError, match="--package-spec .* or --vendor"):
        install_target(None, None)
    with pytest.raises(UsageError, match="exclude each other"):
        write_classroom(".", "sheet01", package_spec="gradcheck==0.1.0", vendor=True)


def test_vendor_copies_a_wheel_of_this_gradcheck_and_the_workflow_installs_it(tmp_path):
    workflow, wheel = write_classroom(tmp_path, "sheet01", vendor=True)
    assert wheel == tmp_path / VENDOR_DIR / wheel_name()
    assert install_step(workflow.read_text()) == (
        f"python -m pip install .github/gradcheck/gradcheck-{gradcheck.__version__}"
        "-py3-none-any.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "gradcheck/render/workflow.py" in names and "gradcheck/exercises/sheet01.yaml" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    # again, forced: still one wheel, the one the workflow names
    write_classroom(tmp_path, "sheet01", vendor=True, force=True)
    assert [p.name for p in (tmp_path / VENDOR_DIR).iterdir()] == [wheel_name()]


def test_the_vendored_wheel_installs_and_runs(tmp_path):
    wheel = build_wheel(tmp_path / "dist")
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                    "--quiet", "--target", str(target), str(wheel)], check=True, timeout=120)
    code = ("import gradcheck, sys; from gradcheck.spec import load_sheet; "
            "print(gradcheck.__version__, gradcheck.__file__, load_sheet('sheet01').max_score)")
    # -S: no site, so this checkout's editable install cannot shadow the wheel; the
    # dependencies come from their own folder
    deps = Path(numpy.__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": f"{target}:{deps}", "PATH": "/usr/bin:/bin"},
                         cwd=tmp_path, check=True, timeout=120).stdout.split()
    assert out[0] == gradcheck.__version__ and out[1].startswith(str(target))
    assert out[2] == str(load_sheet("sheet01").max_score)   # the sheet of this checkout
    assert (target / "bin" / "gradcheck").exists()                 # the console script
    meta = (target / f"gradcheck-{gradcheck.__version__}.dist-info" / "METADATA").read_text()
    assert "Requires-Dist: numpy" in meta and "Requires-Dist: pytest" not in meta


def test_the_workflow_checks_out_without_credentials_and_asks_no_write_permission():
    data = yaml.safe_load(workflow_yaml("sheet01", package_spec="gradcheck==0.1.0"))
    assert data["permissions"] == {"actions": "read", "contents": "read"}
    checkout = data["jobs"]["run-autograding-tests"]["steps"][0]
    assert checkout["with"] == {"persist-credentials": False}
