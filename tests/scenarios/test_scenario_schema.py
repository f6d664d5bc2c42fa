"""The published schema: valid draft 2020-12, described for editors, and in step with the other parts."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from jsonschema import Draft202012Validator

from harness.core.contract import JOB_STATUSES
from harness.network.control.client import STREAMS
from harness.network.control.link import Link
from harness.network.control.profiles import PROFILES
from harness.scenarios.build import build_step, network_conditions
from harness.scenarios.model import ActionStep, NetworkCondition
from harness.scenarios.validate import scenario_schema
from harness.scenarios.vocabulary.network import CONDITION_NAMES

DATA = Path(__file__).parent / "data"
SCHEMA = scenario_schema()
DEFS = SCHEMA["$defs"]


def properties(schema: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, property schema) under ``properties``, except the ``true`` placeholders of step branches
    and the ``if`` conditions that pick a branch (editors complete from the step's own properties)."""
    if isinstance(schema, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if sub is not True:
                yield f"{where}.{name}", sub
        for key, sub in schema.items():
            if key not in ("properties", "if"):
                yield from properties(sub, f"{where}/{key}")
        for name, sub in (schema.get("properties") or {}).items():
            yield from properties(sub, f"{where}.{name}")
    elif isinstance(schema, list):
        for index, sub in enumerate(schema):
            yield from properties(sub, f"{where}[{index}]")


def described(schema: dict[str, Any]) -> bool:
    if "description" in schema:
        return True
    ref = schema.get("$ref")
    return ref is not None and "description" in DEFS[ref.rsplit("/", 1)[-1]]


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_every_property_has_a_description_for_editors() -> None:
    bare = [path for path, schema in properties(SCHEMA) if not described(schema)]
    assert bare == []


def test_profiles_are_the_network_layers_profiles() -> None:
    assert DEFS["profile_name"]["enum"] == list(PROFILES)


def test_directions_are_the_network_layers_streams() -> None:
    assert DEFS["direction"]["enum"] == [*STREAMS, "both"]


def test_fault_statuses_are_the_ones_the_server_injects() -> None:
    from harness.server.faults import FAULT_STATUSES

    assert DEFS["step"]["properties"]["fault"]["properties"]["status"]["enum"] == sorted(FAULT_STATUSES)


def test_job_statuses_follow_the_contract() -> None:
    assert DEFS["job_status"]["enum"] == list(JOB_STATUSES)
    assert DEFS["args_set_status"]["properties"]["status"]["enum"] == list(JOB_STATUSES[1:])


@pytest.mark.parametrize(
    "value",
    [
        "offline", "online", "blackhole", "connection_reset", "slow_close",
        {"profile": "edge"},
        {"latency": {"ms": 300, "jitter": 50, "direction": "both"}},
        {"bandwidth": {"kbps": 64, "direction": "upstream"}},
        {"cut_after": {"bytes": 1000}},
        {"blackhole": {}},
        {"connection_reset": {"after_ms": 10}},
        {"slow_close": {"delay_ms": 500}},
        {"flapping": {"up_s": 2, "down_s": 3, "for_s": 20}},
    ],
)
def test_each_network_step_maps_onto_a_link_condition(value: Any) -> None:
    for condition in network_conditions(value):
        name, kwargs = condition.link_condition(seed=1)
        inspect.signature(getattr(Link, name)).bind(None, **kwargs)  # raises TypeError on a mismatch


def test_bandwidth_in_kilobits_becomes_kilobytes_for_the_link() -> None:
    assert NetworkCondition("bandwidth", {"kbps": 64}).link_condition() == ("bandwidth", {"kb_per_s": 8})
    assert NetworkCondition("clear").link_condition() is None


def test_python_scenarios_build_the_same_steps() -> None:
    step = build_step({"as": "alice", "do": "take_photo", "args": {"job": "job1"}, "label": "meter"})
    assert step == ActionStep(technician="alice", action="take_photo", args={"job": "job1"}, label="meter")


def test_the_every_step_fixture_uses_every_step_key_and_action() -> None:
    data = yaml.safe_load((DATA / "valid_every_step.yaml").read_text())
    keys = {key for step in data["steps"] for key in step}
    step_schema = DEFS["step"]
    assert keys == set(step_schema["properties"])
    actions = {step["do"] for step in data["steps"] if "do" in step}
    assert actions == set(step_schema["properties"]["do"]["enum"])
    words = {step["network"] for step in data["steps"] if isinstance(step.get("network"), str)}
    conditions = {key for step in data["steps"] if isinstance(step.get("network"), dict) for key in step["network"]}
    assert words == {"offline", "online", "clear"}  # the other words are covered by the mapping test above
    assert conditions == set(CONDITION_NAMES)
