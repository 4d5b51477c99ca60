"""--format junit: JUnit XML that parses, with the right testcases and counts."""

import dataclasses
import xml.etree.ElementTree as ET

from gradcheck.render.junit import to_junit
from tests.sample_results import full_sheet, load_error_sheet, perfect_sheet


def parse(text):
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.encode("utf-8"))


def test_one_testcase_per_exercise_with_failures_errors_and_skipped():
    suite = parse(to_junit(full_sheet()))
    assert suite.tag == "testsuite"
    cases = suite.findall("testcase")
    assert len(cases) == 9 == int(suite.get("tests"))
    assert {c.get("classname") for c in cases} == {"sheet01"}
    assert cases[1].get("name") == "1b Gaussian bump exp(-(x - mu)^2 / (2 sigma^2))"
    kinds = [[child.tag for child in c if child.tag != "system-out"] for c in cases]
    assert kinds == [[], ["failure"], ["failure"], ["error"], ["error"], ["failure"],
                     ["failure"], ["failure"], ["skipped"]]
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("5", "2", "1")
    assert suite.get("time") == "1.234" and cases[1].get("time") == "0.100"


def test_failure_carries_diagnosis_status_and_worst_point():
    suite = parse(to_junit(full_sheet()))
    failure = suite.findall("testcase")[1].find("failure")
    assert failure.get("message") == "sign flipped" and failure.get("type") == "fail"
    assert "1.2/2 points (fail); 3 of 5 test points passed." in failure.text
    assert "x = 2, mu = -0.5, sigma = 0.9" in failure.text
    assert "d_1b in sheet01.py, line 9" in failure.text
    assert suite.findall("testcase")[4].find("error").get("type") == "timeout"
    skipped = suite.findall("testcase")[8].find("skipped")
    assert skipped.get("message") == "scored by hand (36 points)"


def test_properties_and_outputs():
    suite = parse(to_junit(full_sheet()))
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["score"] == "10.533333" and props["max_score"] == "26"
    assert props["seed"] == "2024" and props["spec_sha256"].startswith("9f2c")
    out = props["output"]
    assert "::error file=sheet01.py" in out and "</details><script>" in out   # escaped text
    assert "\x1b" not in out and "\r" not in out
    assert "matplotlib" in props["warnings"]


def test_xml_illegal_characters_are_removed():
    sheet = dataclasses.replace(full_sheet(), output="nul\x00 vt\x0b ok \ud800 end",
                                warnings=("bell\x07",))
    suite = parse(to_junit(sheet))
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert props["output"] == "nul vt ok \\ud800 end"   # escaped, as text


def test_load_error_makes_every_exercise_an_error():
    suite = parse(to_junit(load_error_sheet()))
    assert (suite.get("tests"), suite.get("errors"), suite.get("failures"),
            suite.get("skipped")) == ("4", "3", "0", "1")
    props = {p.get("name"): p.get("value") for p in suite.find("properties")}
    assert "SyntaxError: invalid syntax" in props["load_error"]
    assert "\n    def d_1a(x)" in props["load_error"]   # newlines survive the attribute


def test_a_perfect_sheet_has_no_failures():
    suite = parse(to_junit(perfect_sheet()))
    assert (suite.get("failures"), suite.get("errors")) == ("0", "0")
    assert all(len(c) == 0 for c in suite.findall("testcase"))


def test_failure_text_holds_no_control_characters():
    sheet = full_sheet()
    odd = dataclasses.replace(sheet.exercises[1], message="sign\x85flipped\x9b2J\x1b[31m")
    root = parse(to_junit(dataclasses.replace(
        sheet, exercises=(sheet.exercises[0], odd, *sheet.exercises[2:]))))
    failure = root.findall("testcase")[1].find("failure")
    for text in (failure.text, failure.get("message")):
        assert "sign" in text and not any(0x80 <= ord(c) <= 0x9f or c == "\x1b" for c in text)
