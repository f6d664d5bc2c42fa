"""The run's figures: time to sync after the network returns, requests, retries, bytes on the wire."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.checker.model import DeviceHistory
from harness.checker.timeline import NetworkTimeline
from harness.checker.verdict import Metrics

if TYPE_CHECKING:
    from harness.checker.items import Items


def measure(history: DeviceHistory, items: Items, network: NetworkTimeline) -> Metrics:
    counters = history.counters
    requests = int(counters.get("requests", len(history.attempts)))
    retries = int(counters.get("retries", sum(1 for attempt in history.attempts if attempt.attempt > 1)))
    wire_bytes = None
    if "bytes_sent" in counters or "bytes_received" in counters:
        wire_bytes = int(counters.get("bytes_sent", 0)) + int(counters.get("bytes_received", 0))
    payload = counters.get("payload_bytes")
    payload_bytes = None if payload is None else int(payload)
    ratio = wire_bytes / payload_bytes if wire_bytes is not None and payload_bytes else None
    times = (_time_to_sync(back, history, items) for back in network.returns())
    sync_times = tuple(t for t in times if t is not None)
    return Metrics(
        time_to_sync_s=max(sync_times) if sync_times else None,
        sync_times_s=sync_times,
        requests=requests,
        retries=retries,
        bytes_on_wire=wire_bytes,
        payload_bytes=payload_bytes,
        wire_ratio=ratio,
        intents=len(items.intents),
        applied=sum(1 for item_id in items.intents if items.entries.get(item_id)),
        pending=len(history.outbox),
    )


def _time_to_sync(back: float, history: DeviceHistory, items: Items) -> float | None:
    """Seconds from the network's return until the backlog made before it is applied and the
    indicator shows idle; None when the indicator never comes back to idle."""
    applied_after = [
        items.entries[intent.item_id][0].applied_at
        for intent in items.intents.values()
        if intent.accepted_at < back and items.entries.get(intent.item_id)
        and items.entries[intent.item_id][0].applied_at >= back
    ]
    done = max(applied_after, default=back)
    if history.sync_states:
        idle = [state.at for state in history.sync_states if state.state == "idle" and state.at >= done]
        if not idle:
            return None
        done = min(idle)
    return done - back
