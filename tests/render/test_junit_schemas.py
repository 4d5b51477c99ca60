"""--format junit against the schemas of the programs that read it: the Jenkins xUnit
plugin's junit-10.xsd and Maven Surefire's report schema (current and 3.0), checked into
tests/render/xsd/ (see its README for where they come from and their licences).

xmlschema validates against the real files; the rules those schemas impose (which
attributes and children each element may have, in which order) are also checked directly,
so a reader of this test sees what they are.
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from gradcheck.render.junit import to_junit
from tests.sample_results import full_sheet, load_error_sheet, perfect_sheet

XSD = Path(__file__).parent / "xsd"
SCHEMAS = ["junit-10.xsd", "surefire-test-report.xsd", "surefire-test-report-3.0.xsd"]


def hostile_sheet():
    sheet = full_sheet()
    odd = dataclasses.replace(sheet.exercises[1], message="a\x00b <x> & \"q\" \ud800",
                              output="]]> \x1b[31m\r\nok")
    return dataclasses.replace(sheet, exercises=(sheet.exercises[0], odd,
                                                 *sheet.exercises[2:]),
                               warnings=("w1", "w2"), output="printed\n")


SHEETS = {"full": full_sheet, "load_error": load_error_sheet, "perfect": perfect_sheet,
          "hostile": hostile_sheet}


@pytest.fixture(scope="module", params=SCHEMAS)
def schema(request):
    return xmlschema.XMLSchema(str(XSD / request.param))


@pytest.mark.parametrize("name", SHEETS)
def test_valid_against_jenkins_xunit_and_surefire_schemas(schema, name):
    schema.validate(to_junit(SHEETS[name]()))


def test_the_old_testsuites_root_with_skipped_is_what_junit_10_refused():
    old = ('<testsuites name="gradcheck" tests="1" failures="0" errors="0" skipped="0">'
           '<testsuite name="s" tests="1" failures="0" errors="0" skipped="0"/></testsuites>')
    assert not xmlschema.XMLSchema(str(XSD / "junit-10.xsd")).is_valid(old)


# -- the rules, stated ---------------------------------------------------------------------

# Attributes both schemas allow (Surefire's set, which junit-10 also accepts), and the
# required ones.
SUITE_ATTRS = {"name", "tests", "failures", "errors", "skipped", "time"}
SUITE_REQUIRED = {"name", "tests", "failures", "errors", "skipped"}
CASE_ATTRS = {"name", "classname", "time"}
OUTCOME_ATTRS = {"failure": {"message", "type"}, "error": {"message", "type"},
                 "skipped": {"message"}}
CASE_CHILD_ORDER = ["failure", "skipped", "error", "system-out", "system-err"]
TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]{0,3})?")


@pytest.mark.parametrize("name", SHEETS)
def test_the_rules_the_schemas_impose(name):
    root = ET.fromstring(to_junit(SHEETS[name]()).encode())
    assert root.tag == "testsuite"                    # Surefire declares no <testsuites>
    assert SUITE_REQUIRED <= set(root.attrib) <= SUITE_ATTRS
    assert TIME.fullmatch(root.get("time"))
    tags = [child.tag for child in root]
    assert tags == ["properties"] + ["testcase"] * (len(tags) - 1)   # properties first
    for prop in root.find("properties"):
        assert prop.tag == "property" and set(prop.attrib) == {"name", "value"}
    for case in root.findall("testcase"):
        assert {"name", "time"} <= set(case.attrib) <= CASE_ATTRS
        assert TIME.fullmatch(case.get("time"))
        children = [child.tag for child in case]
        assert children == sorted(children, key=CASE_CHILD_ORDER.index)
        assert sum(tag in OUTCOME_ATTRS for tag in children) <= 1
        for child in case:
            if child.tag in OUTCOME_ATTRS:
                assert set(child.attrib) <= OUTCOME_ATTRS[child.tag]
                assert len(child) == 0                 # text only (simple content)
