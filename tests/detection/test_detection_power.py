"""Detection power: every seeded bug is caught by the scenarios the table names, with its kinds.

The table is harness/runner/detection.py (the README's table is printed from it). Each bug runs
only against the scenarios the table names, so the whole module stays within the suite's budget.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.checker import VIOLATION_KINDS
from harness.client.bugs import BUGS as CLIENT_BUGS
from harness.runner.detection import DETECTIONS, Detection, kinds_found, pick, run_detection
from harness.runner.select import load_selected
from harness.server.bugs import BUGS as SERVER_BUGS

CATALOGUE = load_selected([Path(__file__).resolve().parents[2] / "scenarios"])
DOCUMENTED = {("client", name): bug.expected for name, bug in CLIENT_BUGS.items()} | {
    ("server", name): bug.expected_violation for name, bug in SERVER_BUGS.items()
}


def test_every_seeded_bug_is_in_the_table_once() -> None:
    listed = [(d.side, d.bug) for d in DETECTIONS]
    assert sorted(listed) == sorted(DOCUMENTED)


@pytest.mark.parametrize("detection", DETECTIONS, ids=lambda d: f"{d.side}-{d.bug}")
def test_table_kinds_are_the_ones_bugs_py_documents(detection: Detection) -> None:
    assert detection.kinds and set(detection.kinds) <= set(VIOLATION_KINDS)
    for kind in detection.kinds:
        assert kind in DOCUMENTED[(detection.side, detection.bug)]


@pytest.mark.parametrize("detection", DETECTIONS, ids=lambda d: f"{d.side}-{d.bug}")
async def test_seeded_bug_is_caught_with_its_violation_kinds(detection: Detection) -> None:
    found = await run_detection(detection, CATALOGUE)
    assert list(found) == list(detection.scenarios)
    for scenario, kinds in found.items():
        assert set(detection.kinds) <= kinds, f"{scenario} with {detection.bug} reported {sorted(kinds)}"


async def test_same_scenarios_without_a_bug_report_nothing() -> None:
    names = tuple(dict.fromkeys(name for d in DETECTIONS for name in d.scenarios))
    found = await kinds_found(pick(CATALOGUE, names))
    assert found == {name: set() for name in names}


def test_detection_command_prints_the_table_with_every_bug(capsys: pytest.CaptureFixture[str]) -> None:
    from harness.cli import main

    assert main(["detection"]) == 0
    table = capsys.readouterr().out
    assert table.startswith("| seeded bug | scenarios that catch it | violation kind |")
    for side, bug in DOCUMENTED:
        assert f"| {side} `{bug}` |" in table
    assert "| client `no_backoff` | `server_overloaded_retry_after.yaml` | RETRY_STORM |" in table


def test_detection_command_lists_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    from harness.cli import main

    assert main(["detection", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(CATALOGUE)
    assert f"- `{Path(CATALOGUE[0].source).name}`: {CATALOGUE[0].description}" in lines
