"""From validated scenario data to the typed Scenario (lines kept on every step)."""

from __future__ import annotations

from typing import Any, Callable

from harness.scenarios.model import (
    DEFAULT_DEADLINE_S,
    DEFAULT_SEED,
    ActionStep,
    Bugs,
    CommitThenFailStep,
    DelayStep,
    DeviceFaultStep,
    ExpectStep,
    FaultStep,
    Job,
    KillStep,
    NetworkCondition,
    NetworkStep,
    OfficeStep,
    RestartStep,
    Scenario,
    Setup,
    Step,
    WaitStep,
)
from harness.scenarios.yaml_marks import Marks


def build_scenario(data: dict[str, Any], marks: Marks, source: str | None) -> Scenario:
    setup = data["setup"]
    bugs = setup.get("bugs") or {}
    network = setup.get("network")
    return Scenario(
        name=data["name"],
        description=data["description"],
        tags=tuple(data.get("tags") or ()),
        seed=int(data.get("seed", DEFAULT_SEED)),
        deadline_s=float(data.get("deadline", DEFAULT_DEADLINE_S)),
        setup=Setup(
            technicians=tuple(setup["technicians"]),
            jobs=tuple(
                Job(
                    id=job["id"],
                    technician=job["technician"],
                    title=job.get("title"),
                    status=job.get("status", "scheduled"),
                    customer=job.get("customer"),
                    line_items=tuple(job["line_items"]) if "line_items" in job else None,
                )
                for job in setup["jobs"]
            ),
            network=None if network is None else NetworkStep(
                conditions=network_conditions(network), line=marks.line(("setup", "network"), scalar=False)
            ),
            bugs=Bugs(server=tuple(bugs.get("server") or ()), client=tuple(bugs.get("client") or ())),
        ),
        steps=tuple(
            build_step(step, line=marks.line(("steps", index), scalar=False))
            for index, step in enumerate(data["steps"])
        ),
        source=source,
    )


def network_conditions(value: str | dict[str, Any]) -> tuple[NetworkCondition, ...]:
    if isinstance(value, str):
        return (NetworkCondition(value),)
    return tuple(
        NetworkCondition("profile", {"name": params}) if name == "profile" else NetworkCondition(name, dict(params))
        for name, params in value.items()
    )


def _wait(value: Any, common: dict[str, Any]) -> WaitStep:
    if isinstance(value, dict):
        return WaitStep(until=value["until"], deadline_s=value.get("deadline_s"), item=value.get("item"),
                        nbytes=value.get("bytes"), **common)
    return WaitStep(seconds=float(value), **common)


def _expect(value: dict[str, Any], common: dict[str, Any]) -> ExpectStep:
    fields = dict(value)
    if "violations" in fields:
        fields["violations"] = tuple(fields["violations"])
    return ExpectStep(**fields, **common)


# step key -> how to build the step from (its value, the whole step, line and label)
_BUILDERS: dict[str, Callable[[Any, dict[str, Any], dict[str, Any]], Step]] = {
    "network": lambda value, step, common: NetworkStep(conditions=network_conditions(value), **common),
    "as": lambda value, step, common: ActionStep(
        technician=value, action=step["do"], args=dict(step.get("args") or {}), **common
    ),
    "office": lambda value, step, common: OfficeStep(action=value, args=dict(step.get("args") or {}), **common),
    "fault": lambda value, step, common: FaultStep(**value, **common),
    "commit_then_fail": lambda value, step, common: CommitThenFailStep(**value, **common),
    "delay": lambda value, step, common: DelayStep(**value, **common),
    "kill": lambda value, step, common: KillStep(target=value, **common),
    "restart": lambda value, step, common: RestartStep(target=value, **common),
    "device_fault": lambda value, step, common: DeviceFaultStep(fault=value, **common),
    "wait": lambda value, step, common: _wait(value, common),
    "expect": lambda value, step, common: _expect(value, common),
}


def build_step(step: dict[str, Any], *, line: int = 0) -> Step:
    """One step from its (validated) mapping, e.g. ``{"as": "alice", "do": "add_note", "args": {...}}``."""
    common = {"line": line, "label": step.get("label")}
    for key, builder in _BUILDERS.items():
        if key in step:
            return builder(step[key], step, common)
    raise ValueError(f"not a step: {step!r}; a step needs one of: {', '.join(_BUILDERS)}")
