"""Device histories: several technicians' merged into one for the checker, and items for the report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.runner.recorder import Recorder


def merge_histories(histories: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One history in harness/checker/model.py's format; item ids are UUIDs, so they never clash."""
    merged: dict[str, Any] = {"intents": [], "attempts": [], "refused": [], "sync_states": [], "outbox": [],
                              "counters": {}}
    for history in histories.values():
        for key in ("intents", "attempts", "refused", "sync_states", "outbox"):
            merged[key] += history.get(key) or []
        for name, value in (history.get("counters") or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                merged["counters"][name] = merged["counters"].get(name, 0) + value
    merged["sync_states"].sort(key=lambda state: state["at"])
    return merged


def timeline_items(history: dict[str, Any], recorder: Recorder, labels: dict[str, str],
                   job_name: Callable[[str | None], str | None]) -> list[dict[str, Any]]:
    """Each item's life: accepted, every attempt that carried it, acknowledged."""
    attempts: dict[str, list[dict[str, Any]]] = {}
    for attempt in history.get("attempts", []):
        if attempt.get("item_id"):
            attempts.setdefault(attempt["item_id"], []).append(attempt)
    pending = set(history.get("outbox") or [])
    items = []
    for intent in history.get("intents", []):
        item_id = intent["item_id"]
        own = [
            {"start_t": recorder.offset(a["started_at"]), "end_t": recorder.offset(a.get("ended_at")),
             "outcome": a["outcome"], "http_status": a.get("http_status")}
            for a in attempts.get(item_id, [])
        ]
        # acknowledged by the last ok answer once the device let go of the item (an upload takes several)
        done = item_id not in pending
        acknowledged = next((a["end_t"] for a in reversed(own) if a["outcome"] == "ok"), None) if done else None
        job = job_name(intent.get("job_id"))
        items.append({
            "item_id": item_id, "kind": intent["kind"], "job_id": job,
            "label": labels.get(item_id) or f"{intent['kind']}{f' of {job}' if job else ''}",
            "accepted_t": recorder.offset(intent["accepted_at"]), "acknowledged_t": acknowledged,
            "attempts": own,
        })
    return items

