"""Facts about one scenario dict of the results that several report formats print alike."""

from __future__ import annotations

import shlex
from pathlib import PurePosixPath
from typing import Any

VERDICTS = ("pass", "fail", "error")


def replay_command(scenario: dict[str, Any]) -> str:
    """The shell command that replays this scenario with its effective seed."""
    parts = ["offline-harness", "run", str(scenario.get("file") or scenario.get("name") or "SCENARIO")]
    if scenario.get("seed") is not None:
        parts += ["--seed", str(scenario["seed"])]
    return shlex.join(parts)


def classname(scenario: dict[str, Any]) -> str:
    """JUnit classname from the scenario's file: ``scenarios/cut_mid.yaml`` -> ``scenarios.cut_mid``."""
    file = str(scenario.get("file") or "")
    if not file:
        return "scenarios"
    path = PurePosixPath(file.replace("\\", "/"))
    parts = [part for part in path.with_suffix("").parts if part not in ("/", ".", "..")]
    return ".".join(parts) or "scenarios"


def violation_headline(violation: dict[str, Any]) -> str:
    """``DUPLICATE photo-1: applied twice`` (one line)."""
    kind = str(violation.get("kind") or "VIOLATION")
    item = violation.get("item_id")
    message = str(violation.get("message") or "").strip()
    head = f"{kind} {item}" if item else kind
    return f"{head}: {message}" if message else head


def failure_lines(scenario: dict[str, Any]) -> list[str]:
    """Everything that made the scenario fail, one line each: violations then expectations."""
    lines = [violation_headline(violation) for violation in scenario.get("violations") or []]
    lines += [f"expectation: {failure}" for failure in scenario.get("expectation_failures") or []]
    return lines


def violating_item_ids(scenario: dict[str, Any]) -> dict[str, list[str]]:
    """item_id -> the violation kinds that name it."""
    kinds: dict[str, list[str]] = {}
    for violation in scenario.get("violations") or []:
        if violation.get("item_id"):
            kinds.setdefault(str(violation["item_id"]), []).append(str(violation.get("kind") or "VIOLATION"))
    return kinds


def format_seconds(value: Any) -> str:
    """``0.42 s``, ``12.3 s``, ``2 m 05 s``; an em dash when unknown."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "—"
    if value >= 120:
        minutes, seconds = divmod(round(value), 60)
        return f"{minutes} m {seconds:02d} s"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
