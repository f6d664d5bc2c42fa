"""Seeded bugs of the reference client: each models a real mobile-sync mistake, off by default.

The harness proves its detection power by switching one on and expecting the named violation.
Each bug is read in exactly one place of the client (grep for its name).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class SeededBug:
    name: str
    mistake: str  # the real mistake it models
    expected: str  # what the harness should report
    where: str  # the one place that reads it


BUGS: dict[str, SeededBug] = {
    bug.name: bug
    for bug in (
        SeededBug(
            "no_idempotency_key",
            "every attempt is a brand-new request: fresh Idempotency-Key and fresh item_id per attempt",
            "DUPLICATE (and SIDE_EFFECT_DUP for estimates/invoices) when a response is lost and retried",
            "harness/client/sync.py: SyncEngine.identity_for",
        ),
        SeededBug(
            "upload_restart_from_zero",
            "a cut upload is started again from byte 0 instead of asking the server for its offset",
            "STUCK (a link cut every N bytes never lets a bigger file finish); wire bytes >> file size",
            "harness/client/tus.py: TusUploader.upload",
        ),
        SeededBug(
            "outbox_in_memory",
            "the outbox lives in memory only, so a killed app forgets what the user already saw accepted",
            "LOST after the client process is SIGKILLed with items queued",
            "harness/client/store.py: Store.__init__",
        ),
        SeededBug(
            "no_backoff",
            "retries fire immediately and ignore Retry-After (a retry storm against a struggling server)",
            "RETRY_STORM (try-again-later answers retried at once, sooner than their Retry-After)",
            "harness/client/sync.py: SyncEngine.retry_delay",
        ),
        SeededBug(
            "queue_payments_offline",
            "a card payment taken offline is queued and charged later instead of being refused",
            "LEAKED (an online-only payment applied although the device was offline when it was taken)",
            "harness/client/device.py: Device.charge_card",
        ),
        SeededBug(
            "backfill_gps",
            "GPS points taken while offline are buffered and uploaded after reconnect",
            "LEAKED (points timestamped inside an offline period reach the server)",
            "harness/client/device.py: Device.report_location",
        ),
        SeededBug(
            "status_out_of_order",
            "the outbox is drained newest-first (a stack, not a queue), so a job's status moves go out reversed",
            "REORDERED (and LOST: the server refuses the backwards moves as illegal transitions)",
            "harness/client/sync.py: SyncEngine._build_batch",
        ),
    )
}


def parse_bugs(names: str | Iterable[str] | None) -> frozenset[str]:
    """Validate bug names (a list, or a comma-separated string); unknown names raise ValueError."""
    if not names:
        return frozenset()
    if isinstance(names, str):
        names = [part.strip() for part in names.split(",") if part.strip()]
    unknown = sorted(set(names) - set(BUGS))
    if unknown:
        raise ValueError(
            f"unknown client bug(s) {', '.join(unknown)}; expected some of {', '.join(BUGS)}"
        )
    return frozenset(names)
