"""Colours the SVG timeline draws with: network and sync states, attempts, markers (the page CSS has the rest)."""

from __future__ import annotations

import zlib

PASS = "#1a7f37"
VIOLATION_ROW = "#ffebe9"

ATTEMPT = {"ok": "#2da44e", "fail": "#cf222e", "info": "#d4a72c"}
ATTEMPT_UNKNOWN = "#8c959f"

# (keyword in the state name, fill, text colour); the first keyword found wins.
_NETWORK_RULES = (
    ("offline", "#57606a", "#ffffff"), ("down", "#57606a", "#ffffff"), ("cut", "#424a53", "#ffffff"),
    ("flap", "#fb8f44", "#1f2328"), ("reset", "#fb8f44", "#1f2328"), ("loss", "#fb8f44", "#1f2328"),
    ("timeout", "#fb8f44", "#1f2328"), ("slow_close", "#fb8f44", "#1f2328"),
    ("online", "#aceebb", "#0f5323"), ("degraded", "#f5d66b", "#4d2d00"), ("latency", "#f5d66b", "#4d2d00"),
    ("bandwidth", "#f5d66b", "#4d2d00"), ("slow", "#f5d66b", "#4d2d00"), ("profile", "#f5d66b", "#4d2d00"),
    ("3g", "#f5d66b", "#4d2d00"), ("2g", "#f5d66b", "#4d2d00"), ("edge", "#f5d66b", "#4d2d00"),
)
_SYNC_RULES = (
    ("offline", "#8c959f", "#ffffff"), ("syncing", "#80ccff", "#0a3069"), ("idle", "#aceebb", "#0f5323"),
    ("error", "#ff8182", "#67060c"), ("fail", "#ff8182", "#67060c"), ("stuck", "#ff8182", "#67060c"),
)
# For states no rule knows: a stable pick, so a state keeps its colour across scenarios and runs.
_SPARE = (("#d8b9ff", "#3e1f79"), ("#a5d6ff", "#0a3069"), ("#ffcfe0", "#6e0f3a"), ("#c4e8e0", "#0b4f45"))


def network_state(state: str) -> tuple[str, str]:
    return _pick(state, _NETWORK_RULES)


def sync_state(state: str) -> tuple[str, str]:
    return _pick(state, _SYNC_RULES)


def _pick(state: str, rules: tuple[tuple[str, str, str], ...]) -> tuple[str, str]:
    name = state.lower()
    for keyword, fill, text in rules:
        if keyword in name:
            return fill, text
    return _SPARE[zlib.crc32(name.encode()) % len(_SPARE)]
