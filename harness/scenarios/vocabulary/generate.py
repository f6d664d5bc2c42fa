"""schema.json from the registries: the hand-written frame (schema_base.json) with every vocabulary
filled in from its registry (actions, device faults, violation kinds: harness/core/vocabulary.py;
network conditions: network.py). ``offline-harness schema`` prints it; tests/scenarios check that the
committed harness/scenarios/schema.json equals it (``offline-harness schema > harness/scenarios/schema.json``)."""

from __future__ import annotations

import argparse
import json
from importlib import resources
from typing import Any

from harness.core.vocabulary import ACTIONS, DEVICE_FAULTS, VIOLATION_KIND_NAMES, Action
from harness.scenarios.vocabulary.network import CONDITION_KINDS, NETWORK_WORDS, NetworkConditionKind

GENERATED = "(generated from the registry: harness/scenarios/vocabulary/generate.py)"


def _object(doc: str, properties: dict[str, Any], required: tuple[str, ...]) -> dict[str, Any]:
    schema = {"type": "object", "description": doc, "properties": properties, "additionalProperties": False}
    return {**schema, "required": list(required)} if required else schema


def _args(action: Action) -> dict[str, Any]:
    return _object(action.doc, action.properties, action.required)


def _condition(kind: NetworkConditionKind) -> dict[str, Any]:
    return kind.schema or _object(kind.doc, kind.properties, kind.required)


def _branches(key: str, by: str) -> list[dict[str, Any]]:
    """``if {key: NAME} then args: #/$defs/args_NAME`` per action (args required when it has required ones)."""
    return [
        {
            "if": {"properties": {key: {"const": action.name}}, "required": [key]},
            "then": {
                "properties": {"args": {"$ref": f"#/$defs/args_{action.name}"}},
                **({"required": ["args"]} if action.required else {}),
            },
        }
        for action in ACTIONS if action.by == by
    ]


def _fill(frame: dict[str, Any]) -> dict[str, Any]:
    defs: dict[str, Any] = {}
    for name, schema in frame["$defs"].items():
        if name == "args_*":
            defs |= {f"args_{action.name}": _args(action) for action in ACTIONS}
        else:
            defs[name] = schema
    defs["violation_kind"]["enum"] = list(VIOLATION_KIND_NAMES)
    defs["network"]["anyOf"][0]["enum"] = list(NETWORK_WORDS)
    defs["network_conditions"]["properties"] = {kind.name: _condition(kind) for kind in CONDITION_KINDS}
    step = defs["step"]
    step["properties"]["do"]["enum"] = [action.name for action in ACTIONS if action.by == "technician"]
    step["properties"]["office"]["enum"] = [action.name for action in ACTIONS if action.by == "office"]
    device_fault = step["properties"]["device_fault"]
    device_fault["enum"] = [fault.name for fault in DEVICE_FAULTS]
    device_fault["description"] = "A fault of the device's surroundings, not of the app: " + "; ".join(
        f"{fault.name} = {fault.doc}" for fault in DEVICE_FAULTS
    )
    for branch in step["allOf"]:
        then = branch["then"]
        if then.get("allOf") == GENERATED:
            by = then["title"].removesuffix(" step")
            then["allOf"] = _branches("do" if by == "technician" else "office", by)
    return {**frame, "$defs": defs}


def generated_schema() -> dict[str, Any]:
    frame = json.loads(resources.files(__package__).joinpath("schema_base.json").read_text(encoding="utf-8"))
    return _fill(frame)


def schema_text() -> str:
    """The text of harness/scenarios/schema.json."""
    return json.dumps(generated_schema(), indent=2, ensure_ascii=False) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = "Regenerate the committed file: offline-harness schema > harness/scenarios/schema.json"


def main(args: argparse.Namespace) -> int:
    print(schema_text(), end="")
    return 0
