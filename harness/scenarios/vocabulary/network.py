"""The network conditions a scenario's ``network:`` step names: one registry entry each, with the JSON
Schema of its parameters, its one-line doc and how it becomes a ``harness.network.control.Link``
condition (``Link.condition(name, **kwargs)``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SLOW_CLOSE_DEFAULT_MS = 1000  # `network: slow_close` without a delay (schema.json says 1 s)
SWITCHES = ("offline", "online")  # words that switch the link, not conditions of their own
CLEAR = "clear"  # remove every condition and go online

LinkCondition = tuple[str, dict[str, Any]]


def _with_stream(p: dict[str, Any]) -> dict[str, Any]:
    return {"stream": p["direction"]} if p.get("direction") else {}


@dataclass(frozen=True)
class NetworkConditionKind:
    """``network: {NAME: {...params}}``; with ``alone``, also the bare word ``network: NAME``."""

    name: str
    doc: str
    properties: dict[str, Any]
    required: tuple[str, ...] = ()
    link: Callable[[dict[str, Any], int | None], LinkCondition] = field(default=lambda p, seed: ("", {}))
    alone: bool = False
    schema: dict[str, Any] | None = None  # the whole schema, when the value is not a mapping of parameters


CONDITION_KINDS: tuple[NetworkConditionKind, ...] = (
    NetworkConditionKind(
        "profile", "A named network.", {}, schema={"$ref": "#/$defs/profile_name"},
        link=lambda p, seed: ("profile", {"profile": p["name"], "seed": seed}),
    ),
    NetworkConditionKind(
        "latency",
        "Delay every chunk of data.",
        {
            "ms": {"type": "integer", "minimum": 0, "description": "Delay in milliseconds."},
            "jitter": {
                "type": "integer",
                "minimum": 0,
                "default": 0,
                "description": "± random milliseconds (from the seed).",
            },
            "direction": {"$ref": "#/$defs/direction"},
        },
        required=("ms",),
        link=lambda p, seed: ("latency", {"ms": p["ms"], "jitter": p.get("jitter", 0), **_with_stream(p)}),
    ),
    NetworkConditionKind(
        "bandwidth",
        "Limit the throughput.",
        {
            "kbps": {"type": "number", "exclusiveMinimum": 0, "description": "Kilobits per second."},
            "direction": {"$ref": "#/$defs/direction"},
        },
        required=("kbps",),
        # kbps = kilobits/s (as network profiles are quoted); the Link takes kilobytes/s.
        link=lambda p, seed: ("bandwidth", {"kb_per_s": max(1, round(p["kbps"] / 8)), **_with_stream(p)}),
    ),
    NetworkConditionKind(
        "cut_after",
        "Close the connection after this many bytes (an upload cut mid-transfer).",
        {
            "bytes": {"type": "integer", "minimum": 0, "description": "Bytes let through before the cut."},
            "direction": {"$ref": "#/$defs/direction"},
        },
        required=("bytes",),
        link=lambda p, seed: ("cut_after", {"nbytes": p["bytes"], **_with_stream(p)}),
    ),
    NetworkConditionKind(
        "blackhole",
        "Connections stay open but no data gets through (a dead zone that looks connected).",
        {
            "direction": {"$ref": "#/$defs/direction", "default": "both"},
        },
        link=lambda p, seed: ("blackhole", {"stream": p.get("direction") or "both"}),
        alone=True,
    ),
    NetworkConditionKind(
        "connection_reset",
        "Reset connections (TCP RST) after a delay.",
        {
            "after_ms": {
                "type": "integer",
                "minimum": 0,
                "default": 0,
                "description": "Milliseconds before the reset.",
            },
            "direction": {"$ref": "#/$defs/direction"},
        },
        link=lambda p, seed: ("connection_reset", {"after_ms": p.get("after_ms", 0), **_with_stream(p)}),
        alone=True,
    ),
    NetworkConditionKind(
        "slow_close",
        "Closing connections linger before the close goes through.",
        {
            "delay_ms": {"type": "integer", "minimum": 0, "description": "Milliseconds the close is held."},
            "direction": {"$ref": "#/$defs/direction"},
        },
        required=("delay_ms",),
        link=lambda p, seed: (
            "slow_close", {"delay_ms": p.get("delay_ms", SLOW_CLOSE_DEFAULT_MS), **_with_stream(p)}
        ),
        alone=True,
    ),
    NetworkConditionKind(
        "flapping",
        "The link goes down and up again and again (a tunnel, a moving train).",
        {
            "up_s": {"type": "number", "exclusiveMinimum": 0, "description": "Seconds online each time."},
            "down_s": {"type": "number", "exclusiveMinimum": 0, "description": "Seconds offline each time."},
            "for_s": {
                "type": "number",
                "exclusiveMinimum": 0,
                "description": (
                    "Stop flapping (and stay online) after this many seconds (default: until the next network step)."
                ),
            },
        },
        required=("up_s", "down_s"),
        # for_s is left to the runner (it removes the condition after that time)
        link=lambda p, seed: ("flapping", {"up": p["up_s"], "down": p["down_s"], "seed": seed}),
    ),
)
CONDITIONS = {kind.name: kind for kind in CONDITION_KINDS}
CONDITION_NAMES = tuple(CONDITIONS)
NETWORK_WORDS = (*SWITCHES, *(kind.name for kind in CONDITION_KINDS if kind.alone), CLEAR)
