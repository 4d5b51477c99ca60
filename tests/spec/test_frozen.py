"""Bundled specs parsed ahead of time (spec/frozen.py): each parsed file is what parsing its
YAML gives, lines and number types included; it is read only for exactly that text and only
in the package's own folder; a bundled sheet loads without PyYAML."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import gradcheck.spec as spec_module
from gradcheck.errors import SpecError
from gradcheck.spec import BUNDLED, bundled_sheets, load_sheet, parse_sheet
from gradcheck.spec.frozen import freeze, load_frozen, parsed_path, thaw
from gradcheck.spec.located import LocatedDict, LocatedList
from gradcheck.spec.yamlfile import load_located

ROOT = Path(__file__).resolve().parents[2]
SMALL = """\
sheet: s
title: t
exercises:
  - id: a
    title: t
    points: 2
    function: "sin(x)"
    student: d_a
    inputs: {x: {shape: []}}
    wrt: x
"""


def _same(a, b, where="") -> None:
    """Equal values of equal types, containers with equal lines, all the way down."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, (LocatedDict, LocatedList)):
        assert (a.line, a.lines) == (b.line, b.lines), where
        keys = list(a) if isinstance(a, LocatedDict) else range(len(a))
        assert list(keys) == list(b if isinstance(b, LocatedDict) else range(len(b))), where
        for key in keys:
            _same(a[key], b[key], f"{where}/{key}")
    else:
        assert a == b or (a != a and b != b), where   # NaN is NaN


@pytest.mark.parametrize("name", bundled_sheets())
def test_every_bundled_spec_has_its_current_parsed_form(name):
    spec = BUNDLED / f"{name}.yaml"
    text = spec.read_text(encoding="utf-8")
    thawed = load_frozen(spec, text)
    assert thawed is not None, (f"{parsed_path(spec).name} is missing or stale: run "
                                "python -m gradcheck.spec")
    _same(thawed, load_located(text, str(spec)))


@pytest.mark.parametrize("name", bundled_sheets())
def test_a_bundled_sheet_loads_as_its_yaml_parses(name):
    spec = BUNDLED / f"{name}.yaml"
    raw = spec.read_bytes()
    import hashlib

    parsed = parse_sheet(raw.decode(), file=str(spec), sha256=hashlib.sha256(raw).hexdigest())
    assert repr(load_sheet(name)) == repr(parsed)   # (arrays inside: no == on sheets)


def test_a_bundled_sheet_loads_without_pyyaml():
    done = subprocess.run(
        [sys.executable, "-c", "import sys\nfrom gradcheck.spec import load_sheet\n"
         "load_sheet('sheet01')\nprint('yaml' in sys.modules)"],
        capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_values_lines_and_number_types_survive():
    text = ("a: 1\nb: 1.0\nc: 1e-5\nd: [true, null, .inf, -.nan, 'x']\n"
            "e: {3: three, 2.5: x}\nf:\n  - {g: [1, [2]]}\n")
    _same(thaw(text, freeze(text, "s.yaml")), load_located(text, "s.yaml"))


def test_another_text_or_no_parsed_form_means_parsing():
    frozen = freeze(SMALL, "s.yaml")
    assert thaw(SMALL + "# edited\n", frozen) is None
    assert thaw(SMALL, "not json") is None
    assert thaw(SMALL, json.dumps({"format": 99, "yaml": SMALL, "data": {}})) is None
    assert thaw(SMALL, json.dumps({"format": 1, "yaml": SMALL, "data": {"k": []}})) is None
    assert thaw(SMALL, "[" * 100_000) is None


def test_a_value_json_cannot_carry_is_not_frozen():
    with pytest.raises(ValueError, match="date"):
        freeze("when: 2024-01-01\n", "s.yaml")


def _tampered(folder: Path) -> Path:
    """A spec whose parsed file holds its exact text but claims 5 points, not 2."""
    spec = folder / "s.yaml"
    spec.write_text(SMALL)
    data = json.loads(freeze(SMALL, str(spec)))
    data["data"] = json.loads(freeze(SMALL.replace("points: 2", "points: 5"), "x"))["data"]
    parsed_path(spec).write_text(json.dumps(data))
    return spec


def test_a_parsed_file_outside_the_package_is_never_read(tmp_path):
    spec = _tampered(tmp_path)
    assert load_sheet(str(spec)).exercises[0].points == 2


def test_the_package_folder_reads_its_parsed_files(tmp_path, monkeypatch):
    spec = _tampered(tmp_path)
    monkeypatch.setattr(spec_module, "BUNDLED", tmp_path.resolve())
    assert load_sheet(str(spec)).exercises[0].points == 5   # the parsed file was read
    spec.write_text(SMALL + "# edited\n")                    # and is stale now
    assert load_sheet(str(spec)).exercises[0].points == 2


def test_errors_found_after_parsing_still_name_the_line(tmp_path, monkeypatch):
    spec = tmp_path / "s.yaml"
    bad = SMALL.replace("points: 2", "points: 0")
    spec.write_text(bad)
    parsed_path(spec).write_text(freeze(bad, str(spec)))
    monkeypatch.setattr(spec_module, "BUNDLED", tmp_path.resolve())
    with pytest.raises(SpecError, match=r"s\.yaml:6: points: must be positive"):
        load_sheet(str(spec))
