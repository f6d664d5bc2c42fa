"""What happened when, in one scenario: network bands and steps, as seconds since the scenario began.

The checker wants wall-clock times (the device and server stamp theirs on the same host clock);
the report wants offsets from the start. The recorder keeps both ends of that conversion.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from harness.network.control.flapping import Flapping


class Recorder:
    def __init__(self) -> None:
        self.start_mono = time.monotonic()
        self.start_wall = time.time()
        self.network: list[dict[str, Any]] = [{"t": 0.0, "state": "online"}]
        self.steps: list[dict[str, Any]] = []
        self.flappings: list[Flapping] = []

    def now(self) -> float:
        return round(time.monotonic() - self.start_mono, 3)

    def offset(self, at: Any) -> float | None:
        """Seconds since the start of an ISO-8601 time or epoch seconds (None stays None)."""
        if at is None:
            return None
        if isinstance(at, str):
            at = datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()
        return round(float(at) - self.start_wall, 3)

    def network_state(self, state: str) -> None:
        if self.network[-1]["state"] != state:
            self.network.append({"t": self.now(), "state": state})

    def step(self, label: str) -> None:
        self.steps.append({"t": self.now(), "label": label})

    def network_bands(self) -> list[dict[str, Any]]:
        """Recorded changes plus every switch a flapping task made, in time order."""
        events = list(self.network)
        for flapping in self.flappings:
            events += [{"t": round(mono - self.start_mono, 3), "state": state} for mono, state in flapping.transitions]
        events.sort(key=lambda event: event["t"])
        bands: list[dict[str, Any]] = []
        for event in events:
            if not bands or bands[-1]["state"] != event["state"]:
                bands.append(event)
        return bands

    def checker_timeline(self) -> list[dict[str, Any]]:
        return [{"at": self.start_wall + band["t"], "state": band["state"]} for band in self.network_bands()]
