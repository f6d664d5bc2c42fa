"""The registries (harness/core/vocabulary.py, harness/scenarios/vocabulary/) against the parts that
implement their words: the reference device has each action, takes media where the registry says,
knows each device fault; the scenario model maps each network condition onto the link."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import yaml

from harness.client.device import Device
from harness.client.transport import FaultyLink
from harness.core.vocabulary import ACTIONS, DEVICE_FAULT_NAMES, TECHNICIAN_ACTIONS, VIOLATION_KIND_NAMES, Action
from harness.scenarios.build import build_step
from harness.scenarios.vocabulary.network import CONDITION_KINDS, NETWORK_WORDS
from harness.scenarios.vocabulary.steps import STEP_KEYS


@pytest.mark.parametrize("name", TECHNICIAN_ACTIONS)
def test_the_reference_device_has_each_technician_action(name: str) -> None:
    assert inspect.iscoroutinefunction(getattr(Device, name))


@pytest.mark.parametrize("action", [action for action in ACTIONS if action.media_arg], ids=lambda a: a.name)
def test_each_media_argument_is_a_keyword_of_the_device_action(action: Action) -> None:
    assert action.media_arg in inspect.signature(getattr(Device, action.name)).parameters


@pytest.mark.parametrize("fault", DEVICE_FAULT_NAMES)
def test_the_reference_client_arms_each_device_fault(fault: str) -> None:
    link = FaultyLink()
    link.arm(fault)
    assert link.corrupt_next_chunk


def test_names_are_unique_within_each_registry() -> None:
    for names in (
        [action.name for action in ACTIONS], DEVICE_FAULT_NAMES, VIOLATION_KIND_NAMES,
        [kind.name for kind in CONDITION_KINDS], NETWORK_WORDS,
    ):
        assert len(set(names)) == len(names), names


def test_the_runner_runs_every_kind_of_step() -> None:
    from harness.runner.execute import STEP_RUNS

    steps = yaml.safe_load((Path(__file__).parent / "data" / "valid_every_step.yaml").read_text())["steps"]
    assert {key for step in steps for key in step} >= set(STEP_KEYS)  # the fixture has every kind
    assert {type(build_step(step)) for step in steps} <= set(STEP_RUNS)


def test_the_readme_names_every_violation_kind_in_the_registrys_order() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    named = " ".join(readme.split("Violations, each naming the item and its history:", 1)[1].split("(", 1)[0].split())
    assert named.rstrip(", ") == ", ".join(VIOLATION_KIND_NAMES)
