"""``junit.xml``: one testsuite "offline-harness", one testcase per scenario, for CI systems.

Layout follows the JUnit XML that pytest, Jenkins and GitLab read (pytest's ``junit-10.xsd``):
``testsuites > testsuite > (properties, testcase*)``; a testcase holds ``properties``, then
``failure`` or ``error`` (message attribute + full text), then ``system-out``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from harness.report.scenario import classname, failure_lines, replay_command

SUITE_NAME = "offline-harness"

# Characters XML 1.0 forbids even escaped (control characters such as ANSI escapes in a message).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(value: Any) -> str:
    return _ILLEGAL_XML.sub("\ufffd", "" if value is None else str(value))


def seconds_attr(value: Any) -> str:
    return f"{float(value):.3f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "0.000"


def junit_xml(results: dict[str, Any]) -> bytes:
    scenarios = results.get("scenarios") or []
    counts = {
        "tests": str(len(scenarios)),
        "failures": str(sum(1 for s in scenarios if s.get("verdict") == "fail")),
        "errors": str(sum(1 for s in scenarios if s.get("verdict") == "error")),
        "skipped": "0",
        "time": seconds_attr((results.get("summary") or {}).get("duration_s")),
    }
    root = ET.Element("testsuites", {"name": SUITE_NAME, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": SUITE_NAME, **counts})
    if results.get("started_at"):
        suite.set("timestamp", clean(results["started_at"]))
    _properties(suite, {
        "backend": results.get("backend"),
        "seed": results.get("seed"),
        "time_scale": results.get("time_scale"),
        "harness_version": results.get("harness_version"),
    })
    for scenario in scenarios:
        _testcase(suite, scenario, results.get("backend"))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _properties(parent: ET.Element, values: dict[str, Any]) -> None:
    properties = ET.SubElement(parent, "properties")
    for name, value in values.items():
        ET.SubElement(properties, "property", {"name": name, "value": clean("none" if value is None else value)})


def _testcase(suite: ET.Element, scenario: dict[str, Any], backend: Any) -> None:
    case = ET.SubElement(suite, "testcase", {
        "classname": clean(classname(scenario)),
        "name": clean(scenario.get("name")),
        "time": seconds_attr(scenario.get("duration_s")),
    })
    _properties(case, {"seed": scenario.get("seed"), "backend": backend, "file": scenario.get("file")})
    replay = f"replay: {replay_command(scenario)}"
    verdict = scenario.get("verdict")
    if verdict == "fail":
        lines = failure_lines(scenario) or ["the scenario failed without a recorded reason"]
        more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
        failure = ET.SubElement(case, "failure", {
            "message": clean(lines[0] + more),
            "type": clean(_failure_type(scenario)),
        })
        failure.text = clean("\n".join([*lines, "", *_histories(scenario), replay]))
    elif verdict == "error":
        reason = scenario.get("error") or "the harness could not run this scenario"
        error = ET.SubElement(case, "error", {"message": clean(reason), "type": "HarnessError"})
        error.text = clean(f"{reason}\n{replay}")
    ET.SubElement(case, "system-out").text = clean(replay)


def _failure_type(scenario: dict[str, Any]) -> str:
    kinds = sorted({str(v.get("kind") or "VIOLATION") for v in scenario.get("violations") or []})
    return ",".join(kinds) if kinds else "ExpectationFailed"


def _histories(scenario: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for violation in scenario.get("violations") or []:
        history = violation.get("history") or []
        if history:
            lines.append(f"history of {violation.get('item_id') or violation.get('kind')}:")
            lines += [f"  {line}" for line in history]
            lines.append("")
    return lines
