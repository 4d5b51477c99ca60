"""What a non-editable install holds: the worker scripts, the bundled sheets, the console script."""

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_holds_every_module_the_worker_scripts_and_the_sheets(tmp_path):
    pytest.importorskip("setuptools")
    pytest.importorskip("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    [wheel] = tmp_path.glob("gradcheck-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "gradcheck").rglob("*.py")}
    sheets = {p.relative_to(ROOT).as_posix()
              for p in (ROOT / "gradcheck" / "exercises").glob("*.yaml")}
    assert "gradcheck/sandbox/child/worker.py" in sources and sheets
    assert sources - names == set(), "modules missing from the wheel"
    assert sheets - names == set(), "bundled sheets missing from the wheel"
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "gradcheck = gradcheck.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
    # the package page: no relative links (they break outside the repository), the licence
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA")))
    description = metadata.decode().partition("\n\n")[2]
    assert "gradcheck check" in description
    assert not re.findall(r"\]\((?!https?://)[^)]*\)", description), "relative links"
    assert any(n.endswith("licenses/LICENSE") or n.endswith(".dist-info/LICENSE")
               for n in names), "LICENSE missing from the wheel"


def test_the_license_matches_setup_cfg():
    text = (ROOT / "LICENSE").read_text()
    assert "license = MIT" in (ROOT / "setup.cfg").read_text()
    assert text.startswith("MIT License") and "gradcheck contributors" in text
    assert "THE SOFTWARE IS PROVIDED \"AS IS\"" in text
