"""Questions about the network timeline: was the device offline at a time, when did it come back."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from harness.checker.model import NetworkEvent


@dataclass(frozen=True)
class NetworkTimeline:
    """The network state over time; online before the first event."""

    events: tuple[NetworkEvent, ...]

    @classmethod
    def of(cls, events: list[NetworkEvent]) -> NetworkTimeline:
        return cls(tuple(sorted(events, key=lambda event: event.at)))

    def offline_at(self, at: float) -> bool:
        """An event takes effect at its own time (a point exactly at a switch gets the new state)."""
        index = bisect.bisect_right([event.at for event in self.events], at) - 1
        return index >= 0 and self.events[index].offline

    def returns(self) -> list[float]:
        """Times at which the network came back after being offline."""
        times: list[float] = []
        offline = False
        for event in self.events:
            if offline and not event.offline:
                times.append(event.at)
            offline = event.offline
        return times

    def offline_period_containing(self, at: float) -> tuple[float, float | None] | None:
        """``(start, end)`` of the offline period around ``at`` (end None: never came back)."""
        start: float | None = None
        for event in self.events:
            if event.at <= at:
                start = (start if start is not None else event.at) if event.offline else None
            elif start is None:
                return None
            elif not event.offline:
                return start, event.at
        return (start, None) if start is not None else None
