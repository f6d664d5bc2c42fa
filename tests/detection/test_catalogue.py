"""The shipped catalogue: big enough, each scenario described and tagged, every fault class present."""

from __future__ import annotations

from pathlib import Path

from harness.runner.select import load_selected
from harness.scenarios.model import (
    ActionStep, CommitThenFailStep, ExpectStep, FaultStep, KillStep, NetworkStep, OfficeStep, Scenario,
)
from harness.scenarios.validate import scenario_schema

CATALOGUE = load_selected([Path(__file__).resolve().parents[2] / "scenarios"])


def steps(kind: type) -> list:
    return [step for scenario in CATALOGUE for step in scenario.steps if isinstance(step, kind)]


def conditions() -> set[tuple[str, str | None]]:
    """(condition name, direction) of every network change in the catalogue."""
    return {(c.name, c.params.get("direction")) for step in steps(NetworkStep) for c in step.conditions}


def test_at_least_twenty_scenarios_each_described_in_one_line_and_tagged() -> None:
    assert len(CATALOGUE) >= 20
    assert len({scenario.name for scenario in CATALOGUE}) == len(CATALOGUE)
    for scenario in CATALOGUE:
        assert scenario.tags, scenario.name
        assert "\n" not in scenario.description and len(scenario.description) > 20, scenario.name


def test_every_scenario_ends_expecting_a_pass() -> None:
    for scenario in CATALOGUE:
        last = scenario.steps[-1]
        assert isinstance(last, ExpectStep) and last.verdict == "pass", scenario.name


def test_every_technician_action_and_the_office_assignment_are_exercised() -> None:
    step_schema = scenario_schema()["$defs"]["step"]["properties"]
    assert {step.action for step in steps(ActionStep)} == set(step_schema["do"]["enum"])
    assert {step.action for step in steps(OfficeStep)} == set(step_schema["office"]["enum"])


def test_every_network_fault_class_is_exercised() -> None:
    names = {name for name, _ in conditions()}
    assert {"offline", "online", "flapping", "latency", "bandwidth", "cut_after", "blackhole",
            "connection_reset", "slow_close", "profile"} <= names
    assert {("cut_after", "upstream"), ("cut_after", "downstream")} <= conditions()


def test_every_server_fault_class_is_exercised() -> None:
    faults = steps(FaultStep)
    assert {429, 500, 503} <= {fault.status for fault in faults}
    assert any(fault.retry_after for fault in faults)
    lost = {step.route for step in steps(CommitThenFailStep)}
    assert {"POST /v1/batch", "POST /v1/uploads", "PATCH /v1/uploads/{upload_id}"} <= lost
    assert {step.target for step in steps(KillStep)} == {"device", "server"}


def test_two_technicians_and_a_long_offline_day_are_in_it() -> None:
    def actions(scenario: Scenario) -> int:
        return sum(isinstance(step, ActionStep) for step in scenario.steps)

    assert any(len(scenario.setup.technicians) >= 2 for scenario in CATALOGUE)
    assert max(actions(scenario) for scenario in CATALOGUE) >= 200
