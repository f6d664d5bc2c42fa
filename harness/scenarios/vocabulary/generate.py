"""schema.json from the registries: the hand-written frame (schema_base.json) with every vocabulary
filled in from its registry (actions, device faults, violation kinds: harness/core/vocabulary.py;
network conditions: network.py; step kinds: steps.py). ``offline-harness schema`` prints it; a test
checks that the committed harness/scenarios/schema.json equals it
(regenerate: ``offline-harness schema > harness/scenarios/schema.json``)."""

from __future__ import annotations

import argparse
import json
from importlib import resources
from typing import Any

from harness.core.vocabulary import ACTIONS, VIOLATION_KIND_NAMES, Action
from harness.scenarios.vocabulary.network import CONDITION_KINDS, NETWORK_WORDS, NetworkConditionKind
from harness.scenarios.vocabulary.steps import step_schema

GENERATED = "(generated from the registry: harness/scenarios/vocabulary/generate.py)"


def _object(doc: str, properties: dict[str, Any], required: tuple[str, ...]) -> dict[str, Any]:
    schema = {"type": "object", "description": doc, "properties": properties, "additionalProperties": False}
    return {**schema, "required": list(required)} if required else schema


def _args(action: Action) -> dict[str, Any]:
    return _object(action.doc, action.properties, action.required)


def _condition(kind: NetworkConditionKind) -> dict[str, Any]:
    return kind.schema or _object(kind.doc, kind.properties, kind.required)


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
    defs["step"] = step_schema()
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
