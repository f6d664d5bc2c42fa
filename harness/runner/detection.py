"""Detection power: which catalogue scenarios catch each seeded bug, with which violation kinds.

``DETECTIONS`` is the one table (bug → scenarios → kinds); the README's table is printed from it
(``offline-harness detection``; ``--list`` prints the catalogue) and tests/detection checks it by
running each bug against its scenarios. A seeded bug missing from the table is a hole in the
catalogue: add the scenario that catches it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from harness.runner.run import RunOptions, run_scenarios
from harness.scenarios.model import Bugs, Scenario

CLIENT, SERVER = "client", "server"


@dataclass(frozen=True)
class Detection:
    side: str  # client or server: whose seeded bug
    bug: str  # its name in harness/<side>/bugs.py
    scenarios: tuple[str, ...]  # scenario names; each must report every kind below
    kinds: tuple[str, ...]  # violation kinds the bug must cause


DETECTIONS: tuple[Detection, ...] = (
    Detection(CLIENT, "no_idempotency_key", ("response-lost-after-commit", "invoice-sent-once"),
              ("DUPLICATE", "SIDE_EFFECT_DUP")),
    Detection(CLIENT, "upload_restart_from_zero", ("large-photo-on-cutting-link",), ("STUCK",)),
    Detection(CLIENT, "outbox_in_memory", ("app-and-backend-crash", "device-killed-mid-upload"), ("LOST",)),
    Detection(CLIENT, "no_backoff", ("server-overloaded-retry-after",), ("RETRY_STORM",)),
    Detection(CLIENT, "queue_payments_offline", ("card-payment-offline",), ("LEAKED",)),
    Detection(CLIENT, "backfill_gps", ("gps-paused-offline", "offline-then-online"), ("LEAKED",)),
    Detection(CLIENT, "status_out_of_order", ("tunnel-status-moves-in-order", "offline-then-online"),
              ("REORDERED",)),
    Detection(SERVER, "ignore_idempotency_key", ("response-lost-after-commit", "invoice-sent-once"),
              ("DUPLICATE", "SIDE_EFFECT_DUP")),
    Detection(SERVER, "email_per_retry", ("invoice-sent-once", "response-lost-after-commit"), ("SIDE_EFFECT_DUP",)),
    Detection(SERVER, "commit_before_dedupe", ("retry-while-in-flight",), ("DUPLICATE",)),
    Detection(SERVER, "accept_checksum_mismatch", ("photo-corrupted-on-the-way",), ("CORRUPT",)),
)


def with_bug(scenario: Scenario, side: str, bug: str) -> Scenario:
    """The scenario with one seeded bug switched on (and no other)."""
    bugs = Bugs(server=(bug,)) if side == SERVER else Bugs(client=(bug,))
    return dataclasses.replace(scenario, setup=dataclasses.replace(scenario.setup, bugs=bugs))


def pick(catalogue: list[Scenario], names: tuple[str, ...]) -> list[Scenario]:
    by_name = {scenario.name: scenario for scenario in catalogue}
    missing = [name for name in names if name not in by_name]
    if missing:
        raise KeyError(f"not in the catalogue: {', '.join(missing)}")
    return [by_name[name] for name in names]


async def kinds_found(scenarios: list[Scenario], options: RunOptions | None = None) -> dict[str, set[str]]:
    """Run the scenarios (bugs as they carry them); the violation kinds each one reported."""
    result = await run_scenarios(scenarios, options or RunOptions())
    return {scenario.name: {violation["kind"] for violation in scenario.violations} for scenario in result.scenarios}


async def run_detection(detection: Detection, catalogue: list[Scenario],
                        options: RunOptions | None = None) -> dict[str, set[str]]:
    """The kinds each of the detection's scenarios reported with its bug switched on."""
    chosen = [with_bug(scenario, detection.side, detection.bug) for scenario in pick(catalogue, detection.scenarios)]
    return await kinds_found(chosen, options)


def markdown_table(catalogue_files: dict[str, str] | None = None) -> str:
    """The README's detection table; ``catalogue_files`` maps scenario names to file names."""
    files = catalogue_files or {}

    def named(name: str) -> str:
        return f"`{files.get(name, name)}`"

    lines = ["| seeded bug | scenarios that catch it | violation kind |", "|---|---|---|"]
    for d in DETECTIONS:
        lines.append(f"| {d.side} `{d.bug}` | {', '.join(named(s) for s in d.scenarios)} | {', '.join(d.kinds)} |")
    return "\n".join(lines)


def catalogue_list(catalogue: list[Scenario]) -> str:
    """The README's catalogue: one line per scenario file, what real situation it models."""
    return "\n".join(f"- `{Path(s.source or s.name).name}`: {s.description}" for s in catalogue)


def catalogue_files(catalogue: list[Scenario]) -> dict[str, str]:
    return {scenario.name: Path(scenario.source or scenario.name).name for scenario in catalogue}
