"""From validated scenario data to the typed Scenario (lines kept on every step); each kind of step is
built by its entry in harness/scenarios/vocabulary/steps.py."""

from __future__ import annotations

from typing import Any

from harness.scenarios.model import DEFAULT_DEADLINE_S, DEFAULT_SEED, Bugs, Job, NetworkStep, Scenario, Setup, Step
from harness.scenarios.vocabulary.steps import STEP_KINDS, network_conditions
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


# step key -> how to build the step from (its value, the whole step, line and label)
_BUILDERS = {kind.key: kind.build for kind in STEP_KINDS}


def build_step(step: dict[str, Any], *, line: int = 0) -> Step:
    """One step from its (validated) mapping, e.g. ``{"as": "alice", "do": "add_note", "args": {...}}``."""
    common = {"line": line, "label": step.get("label")}
    for key, builder in _BUILDERS.items():
        if key in step:
            return builder(step[key], step, common)
    raise ValueError(f"not a step: {step!r}; a step needs one of: {', '.join(_BUILDERS)}")
