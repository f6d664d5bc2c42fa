"""Where a trial kills: drawn from its seed inside the busy sync, and where the kill actually landed.

The busy sync has two phases: one batch of the small actions, then the uploads. A trial draws a
phase (half each, so both are tested although the batch is the shorter) and a fraction of it.
How long the phase will take is estimated from the pace of an unkilled calibration sync (seconds
per small action, seconds per media byte) scaled to the trial's own backlog, and the upload phase
is timed from the moment the batch settled: the machine's load moves both phases, this keeps the
point inside its phase. Where the kill landed is read afterwards from the device's attempts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from harness.checker.model import parse_time
from harness.core.contract import MEDIA_KINDS

MID_BATCH, MID_UPLOAD, BETWEEN, AFTER = "mid-batch", "mid-upload", "between requests", "after the sync"
LANDINGS = (MID_BATCH, MID_UPLOAD, BETWEEN, AFTER)
BATCH, UPLOAD = "batch", "upload"


@dataclass(frozen=True)
class SyncPace:
    """How fast an unkilled busy sync went on this machine."""

    batch_s_per_item: float
    upload_s_per_byte: float

    @classmethod
    def of(cls, history: dict[str, Any], sync_started: float) -> SyncPace:
        """Read off an unkilled sync's history; ``sync_started``: epoch seconds it showed "syncing"."""
        ends = [(a["op"], _time(a["ended_at"])) for a in history.get("attempts", [])
                if a.get("ended_at") and _time(a["started_at"]) >= sync_started - 0.05]
        batch_end = max((end for op, end in ends if op == "batch"), default=sync_started)
        sync_end = max((end for _, end in ends), default=batch_end)
        items, media = backlog_size(history.get("intents", []))
        return cls(max(0.0001, batch_end - sync_started) / max(1, items),
                   max(0.01, sync_end - batch_end) / max(1, media))

    def batch_s(self, items: int) -> float:
        return self.batch_s_per_item * items

    def upload_s(self, media_bytes: int) -> float:
        return self.upload_s_per_byte * media_bytes


# Used when the calibration could not be measured (it failed): 1 ms per action, 2 MB/s.
FALLBACK_PACE = SyncPace(batch_s_per_item=0.001, upload_s_per_byte=1 / 2_000_000)


def backlog_size(intents: list[dict[str, Any]]) -> tuple[int, int]:
    """(queued small actions, bytes of queued media) among a history's intents."""
    queued = [intent for intent in intents if not intent.get("online_only")]
    media = sum(int(i.get("extra", {}).get("size") or 0) for i in queued if i["kind"] in MEDIA_KINDS)
    return sum(1 for i in queued if i["kind"] not in MEDIA_KINDS), media


@dataclass(frozen=True)
class KillPoint:
    phase: str  # batch: timed from "syncing"; upload: timed from the moment the batch settled
    fraction: float

    def delay_s(self, pace: SyncPace, items: int, media_bytes: int) -> float:
        phase_s = pace.batch_s(items) if self.phase == BATCH else pace.upload_s(media_bytes)
        return round(self.fraction * phase_s, 4)


def draw_kill_point(seed: int) -> KillPoint:
    rng = random.Random(f"trial-kill:{seed}")
    phase = rng.choice((BATCH, UPLOAD))
    return KillPoint(phase, rng.random())


def landing(history: dict[str, Any], killed_at: float) -> str:
    """Where a kill at ``killed_at`` (epoch seconds) landed: a request open at that instant, else
    whether work was still left."""
    open_ops: set[str] = set()
    for attempt in history.get("attempts", []):
        ended = _time(attempt["ended_at"]) if attempt.get("ended_at") else None
        if _time(attempt["started_at"]) <= killed_at and (ended is None or ended >= killed_at):
            open_ops.add(str(attempt.get("op")))
    if "batch" in open_ops:
        return MID_BATCH
    if any(op.startswith("tus") for op in open_ops):
        return MID_UPLOAD
    return BETWEEN if _unsettled_at(history, killed_at) else AFTER


def _unsettled_at(history: dict[str, Any], killed_at: float) -> bool:
    """Was some queued item still waiting for its final ok answer when the kill came?"""
    last: dict[str, dict[str, Any]] = {}
    for attempt in history.get("attempts", []):
        if attempt.get("item_id"):
            last[attempt["item_id"]] = attempt  # attempts come in start order
    for intent in history.get("intents", []):
        if intent.get("online_only"):
            continue
        attempt = last.get(intent["item_id"])
        if attempt is None or attempt.get("outcome") != "ok" or not attempt.get("ended_at"):
            return True
        if _time(attempt["ended_at"]) > killed_at:
            return True
    return False


def _time(value: Any) -> float:
    return parse_time(value, "attempt time")
