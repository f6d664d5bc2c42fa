"""The kinds of step a scenario's timeline has, one registry entry each: the step's key, the JSON Schema
of its value, which other keys it takes, and how it becomes a typed Step (harness/scenarios/model.py).
The runner runs each kind (harness/runner/execute.py); generate.py writes them into schema.json."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.core.vocabulary import ACTIONS, DEVICE_FAULTS, OFFICE_ACTIONS, TECHNICIAN_ACTIONS
from harness.scenarios.model import (
    ActionStep,
    CommitThenFailStep,
    DelayStep,
    DeviceFaultStep,
    ExpectStep,
    FaultStep,
    KillStep,
    NetworkCondition,
    NetworkStep,
    OfficeStep,
    RestartStep,
    Step,
    WaitStep,
)

# (its value, the whole step, line and label) -> the typed step
Builder = Callable[[Any, dict[str, Any], dict[str, Any]], Step]

COUNT = {
    "type": "integer",
    "minimum": 1,
    "default": 1,
    "description": "How many matching requests it hits, then it is gone (default 1).",
}

TECHNICIAN = {"$ref": "#/$defs/technician_name", "description": "The technician who acts (with do: and args:)."}

ARGS = {"type": "object", "description": "Arguments of the action (see each action)."}

FAULT = {
    "type": "object",
    "description": "The server answers the next matching requests with an error status.",
    "properties": {
        "route": {"$ref": "#/$defs/route"},
        "status": {
            "enum": [429, 500, 502, 503, 504],
            "description": (
                "HTTP status to answer: 429, 500, 502, 503 or 504 (what the reference server's fault hook injects; "
                "harness/server/faults.py FAULT_STATUSES)."
            ),
        },
        "retry_after": {"type": "number", "minimum": 0, "description": "Seconds in a Retry-After header."},
        "count": COUNT,
    },
    "additionalProperties": False,
    "required": ["route", "status"],
}

COMMIT_THEN_FAIL = {
    "type": "object",
    "description": (
        "The server applies the next matching requests, then drops the connection without answering (the response "
        "is lost)."
    ),
    "properties": {
        "route": {"$ref": "#/$defs/route"},
        "count": COUNT,
    },
    "additionalProperties": False,
    "required": ["route"],
}

DELAY = {
    "type": "object",
    "description": (
        "The server is slow to answer the next matching requests: on a mutation route or POST /v1/batch it commits "
        "first and holds the answer with the idempotency keys still in flight (a retry meanwhile gets 409 "
        "request_in_progress); on other routes it waits before handling."
    ),
    "properties": {
        "route": {"$ref": "#/$defs/route"},
        "seconds": {"type": "number", "exclusiveMinimum": 0, "description": "Seconds of delay."},
        "count": COUNT,
        "until": {
            "enum": ["retried"],
            "description": (
                "retried = hold each answer only until a retry of its request (the same route from the same device)"
                " has been answered, at most `seconds`: the retry arrives while the first attempt is in flight by "
                "construction, not by timing."
            ),
        },
    },
    "additionalProperties": False,
    "required": ["route", "seconds"],
}

KILL = {"enum": ["device", "server"], "description": "SIGKILL the device or the server (a crash)."}

RESTART = {"enum": ["device", "server"], "description": "Start the killed device or server again (same storage)."}

WAIT = {
    "description": (
        "Seconds to wait, or until an event: {until: synced, deadline_s: 30}. A step that must land inside a window"
        " (a retry while an answer is held, a kill mid-upload) waits for the event, never for a time."
    ),
    "anyOf": [
        {"type": "number", "exclusiveMinimum": 0},
        {
            "type": "object",
            "description": "Wait until something is true, at most deadline_s seconds (then the step fails).",
            "properties": {
                "until": {
                    "enum": ["synced", "idle", "syncing", "offline", "fault_holding", "upload_offset"],
                    "description": (
                        "synced = outbox empty and indicator idle; idle/syncing/offline = what the sync indicator "
                        "shows (every device); fault_holding = a delay fault is holding an answer now (on a "
                        "mutation route or POST /v1/batch: after its commit); upload_offset = the server holds at "
                        "least `bytes` bytes of the upload of `item`."
                    ),
                },
                "deadline_s": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "description": "Give up after this many seconds (default: the scenario's deadline).",
                },
                "item": {
                    "type": "string",
                    "minLength": 1,
                    "description": (
                        "upload_offset: the label of the earlier take_photo or collect_signature step that made the"
                        " item."
                    ),
                },
                "bytes": {
                    "type": "integer",
                    "minimum": 1,
                    "description": (
                        "upload_offset: the offset the server must hold (checksummed chunks count once whole: 128 "
                        "KiB, then 64 KiB after a cut)."
                    ),
                },
            },
            "additionalProperties": False,
            "required": ["until"],
            "if": {"properties": {"until": {"const": "upload_offset"}}},
            "then": {"required": ["item", "bytes"]},
        },
    ],
}

LABEL = {"type": "string", "description": "A name for this step, shown in reports (and on the item it makes)."}


DO = {"enum": list(TECHNICIAN_ACTIONS), "description": "What the technician does on the device."}
OFFICE = {"enum": list(OFFICE_ACTIONS), "description": "What the office does (with args:)."}
DEVICE_FAULT = {
    "enum": [fault.name for fault in DEVICE_FAULTS],
    "description": "A fault of the device's surroundings, not of the app: "
    + "; ".join(f"{fault.name} = {fault.doc}" for fault in DEVICE_FAULTS),
}


def action_branches(key: str, by: str) -> list[dict[str, Any]]:
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


@dataclass(frozen=True)
class StepKind:
    """A step written ``{KEY: value, ...}``: its schema branch is titled ``<title> step``."""

    key: str
    properties: dict[str, Any]  # the schema of each key it introduces, its own key first
    build: Builder
    title: str = ""  # default: the key
    takes: tuple[str, ...] = ()  # every key it takes besides label (default: the keys it introduces)
    required: tuple[str, ...] = ()  # default: its key
    branch_rules: tuple[dict[str, Any], ...] = ()  # more rules of its branch (e.g. each action's args)
    after: tuple[dict[str, Any], ...] = ()  # rules of the step after its branch


STEP_KINDS: tuple[StepKind, ...] = (
    StepKind(
        "network", {"network": {"$ref": "#/$defs/network"}},
        lambda value, step, common: NetworkStep(conditions=network_conditions(value), **common),
    ),
    StepKind(
        "as", {"as": TECHNICIAN, "do": DO},
        lambda value, step, common: ActionStep(
            technician=value, action=step["do"], args=dict(step.get("args") or {}), **common
        ),
        title="technician", takes=("as", "do", "args"), required=("as", "do"),
        branch_rules=tuple(action_branches("do", "technician")),
        after=({"if": {"required": ["do"]}, "then": {"required": ["as"]}},),
    ),
    StepKind(
        "office", {"office": OFFICE, "args": ARGS},
        lambda value, step, common: OfficeStep(action=value, args=dict(step.get("args") or {}), **common),
        required=("office", "args"), branch_rules=tuple(action_branches("office", "office")),
    ),
    StepKind("fault", {"fault": FAULT}, lambda value, step, common: FaultStep(**value, **common)),
    StepKind(
        "commit_then_fail", {"commit_then_fail": COMMIT_THEN_FAIL},
        lambda value, step, common: CommitThenFailStep(**value, **common),
    ),
    StepKind("delay", {"delay": DELAY}, lambda value, step, common: DelayStep(**value, **common)),
    StepKind("kill", {"kill": KILL}, lambda value, step, common: KillStep(target=value, **common)),
    StepKind("restart", {"restart": RESTART}, lambda value, step, common: RestartStep(target=value, **common)),
    StepKind(
        "device_fault", {"device_fault": DEVICE_FAULT},
        lambda value, step, common: DeviceFaultStep(fault=value, **common),
    ),
    StepKind("wait", {"wait": WAIT}, lambda value, step, common: _wait(value, common)),
    StepKind("expect", {"expect": {"$ref": "#/$defs/expect"}}, lambda value, step, common: _expect(value, common)),
)
STEP_KEYS = tuple(kind.key for kind in STEP_KINDS)


def step_schema() -> dict[str, Any]:
    """``$defs.step`` of schema.json: one branch per kind, a step has exactly one kind's key."""
    properties: dict[str, Any] = {}
    for kind in STEP_KINDS:
        properties |= kind.properties
    branches: list[dict[str, Any]] = []
    for kind in STEP_KINDS:
        takes = kind.takes or tuple(kind.properties)
        then = {
            "title": f"{kind.title or kind.key} step",
            "type": "object",
            "required": list(kind.required or (kind.key,)),
            "properties": {key: True for key in (*takes, "label")},
            "additionalProperties": False,
        }
        branches += [{"if": {"required": [kind.key]}, "then": {**then, **(
            {"allOf": list(kind.branch_rules)} if kind.branch_rules else {})}}, *kind.after]
    described = ", ".join(f"{kind.key} (+ do)" if kind.key == "as" else kind.key for kind in STEP_KINDS)
    return {
        "type": "object",
        "description": f"One step: exactly one of {described}.",
        "properties": {**properties, "label": LABEL},
        "additionalProperties": False,
        "anyOf": [{"required": [key]} for key in STEP_KEYS],
        "allOf": branches,
    }
