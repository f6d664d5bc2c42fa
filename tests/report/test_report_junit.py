"""junit.xml: one suite, one testcase per scenario, failures and errors as CI systems read them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from report_samples import SCRIPT_NAME, error_scenario, failing_scenario, passing_scenario, run

from harness.report import write_reports


def junit(tmp_path: Path, results: dict) -> ET.Element:
    return ET.parse(write_reports(results, tmp_path)["junit.xml"]).getroot()


def properties(element: ET.Element) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in element.findall("properties/property")}


def test_counts_match_the_scenarios(tmp_path: Path) -> None:
    root = junit(tmp_path, run(passing_scenario(), failing_scenario(), failing_scenario("second"), error_scenario()))
    suites = root.findall("testsuite")
    assert [suite.get("name") for suite in suites] == ["offline-harness"]
    suite = suites[0]
    for element in (root, suite):
        assert (element.get("tests"), element.get("failures"), element.get("errors")) == ("4", "2", "1")
    cases = suite.findall("testcase")
    assert len(cases) == 4
    assert sum(1 for case in cases if case.find("failure") is not None) == 2
    assert sum(1 for case in cases if case.find("error") is not None) == 1
    assert suite.get("time") == "41.200"


def test_testcase_names_classname_time_and_properties(tmp_path: Path) -> None:
    suite = junit(tmp_path, run(failing_scenario(), seed=5)).find("testsuite")
    case = suite.find("testcase")
    assert case.get("name") == "response-lost-after-commit"
    assert case.get("classname") == "scenarios.response_lost_after_commit"
    assert case.get("time") == "4.250"
    assert properties(case)["seed"] == "42"
    assert properties(case)["backend"] == "embedded"
    assert properties(suite) == {"backend": "embedded", "seed": "5", "time_scale": "1.0", "harness_version": "0.1.0"}


def test_failure_carries_the_violations_their_history_and_the_replay_command(tmp_path: Path) -> None:
    failure = junit(tmp_path, run(failing_scenario())).find("testsuite/testcase/failure")
    assert failure.get("message") == "DUPLICATE nt-7: applied 2 times (ledger seq 3, 4) (and 2 more)"
    assert failure.get("type") == "DUPLICATE,STUCK"
    text = failure.text
    assert "STUCK ph-2: still queued at the deadline (4.0 s)" in text
    assert "expectation: expected sync_state idle, got syncing" in text
    assert "  1.20 s attempt 1 sent, connection reset: info" in text
    assert "replay: offline-harness run scenarios/response_lost_after_commit.yaml --seed 42" in text


def test_error_verdict_is_a_junit_error_with_the_reason(tmp_path: Path) -> None:
    case = junit(tmp_path, run(error_scenario())).find("testsuite/testcase")
    assert case.find("failure") is None
    error = case.find("error")
    assert error.get("message") == "reference server did not start within 10 s (port 8123 in use?)"
    assert "offline-harness run scenarios/payment_offline.yaml --seed 3" in error.text


def test_passing_scenario_has_neither_failure_nor_error(tmp_path: Path) -> None:
    case = junit(tmp_path, run(passing_scenario())).find("testsuite/testcase")
    assert case.find("failure") is None and case.find("error") is None
    assert case.find("system-out").text == "replay: offline-harness run scenarios/offline_then_online.yaml --seed 7"


def test_empty_run_is_a_valid_suite_without_testcases(tmp_path: Path) -> None:
    root = junit(tmp_path, run())
    assert root.find("testsuite").get("tests") == "0"
    assert root.findall("testsuite/testcase") == []


def test_markup_and_control_characters_from_user_files_keep_the_xml_valid(tmp_path: Path) -> None:
    scenario = failing_scenario(SCRIPT_NAME)
    scenario["violations"][0]["message"] = "bytes differ \x1b[31mred\x1b[0m ]]> <b>"
    case = junit(tmp_path, run(scenario)).find("testsuite/testcase")
    assert case.get("name") == SCRIPT_NAME
    assert "<b>" in case.find("failure").get("message")
    assert "\x1b" not in case.find("failure").text
