"""What the checker answers: violations, each with the item's history, and the run's metrics."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from harness.checker.model import Attempt, Charge, Email, Intent, LedgerEntry
from harness.core.vocabulary import VIOLATION_KIND_NAMES

LOST = "LOST"
DUPLICATE = "DUPLICATE"
CORRUPT = "CORRUPT"
PHANTOM = "PHANTOM"
REORDERED = "REORDERED"
LEAKED = "LEAKED"
SIDE_EFFECT_DUP = "SIDE_EFFECT_DUP"
STUCK = "STUCK"
# retried sooner than the server's Retry-After, or in a storm with no backoff (harness/checker/retries.py)
RETRY_STORM = "RETRY_STORM"
VIOLATION_KINDS = VIOLATION_KIND_NAMES  # the registry, with a doc each: harness/core/vocabulary.py


def clock(at: float | None) -> str:
    """``08:00:01.250`` (UTC): short enough for one line, precise enough to order events."""
    if at is None:
        return "?"
    return datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S.%f")[:-3]


def short(value: str | None, length: int = 12) -> str:
    if value is None:
        return "-"
    return value if len(value) <= length else value[:length] + "…"


@dataclass(frozen=True)
class ItemHistory:
    """Everything known about one item: the device's side and the server's side."""

    item_id: str
    intent: Intent | None = None
    attempts: tuple[Attempt, ...] = ()
    entries: tuple[LedgerEntry, ...] = ()
    emails: tuple[Email, ...] = ()
    charges: tuple[Charge, ...] = ()

    def lines(self) -> list[str]:
        lines: list[str] = []
        intent = self.intent
        if intent is None:
            lines.append("device: no intent for this item (the technician never made it)")
        else:
            label = intent.extra.get("label")
            lines.append(
                f"device: accepted {intent.kind}{f' {label!r}' if label else ''} at {clock(intent.accepted_at)}"
                f" (job {intent.job_id or '-'}, order {intent.order if intent.order is not None else '-'},"
                f" hash {short(intent.content_hash)}, key {short(intent.idempotency_key)})"
            )
        for attempt in self.attempts:
            status = f"HTTP {attempt.http_status}" if attempt.http_status is not None else "no response"
            error = f" {attempt.error}" if attempt.error else ""
            lines.append(
                f"attempt {attempt.attempt}: {clock(attempt.started_at)}-{clock(attempt.ended_at)}"
                f" {attempt.outcome} ({status}{error})"
            )
        if not self.entries:
            lines.append("server: never applied")
        for entry in self.entries:
            under = f" under item {entry.item_id}" if entry.item_id != self.item_id else ""
            lines.append(
                f"server: applied seq {entry.seq} at {clock(entry.applied_at)}{under}"
                f" (hash {short(entry.content_hash)}, key {short(entry.idempotency_key)})"
            )
        lines += [
            f"server: email seq {email.seq} to {email.to or '-'} at {clock(email.sent_at)}" for email in self.emails
        ]
        lines += [
            f"server: charge seq {charge.seq} of {charge.amount_cents} cents at {clock(charge.charged_at)}"
            for charge in self.charges
        ]
        return lines


@dataclass(frozen=True)
class Violation:
    kind: str
    item_id: str
    message: str
    history: ItemHistory

    def explain(self) -> str:
        """The one-line finding, then the item's history indented below it."""
        history = ("  " + line for line in self.history.lines())
        return "\n".join([f"{self.kind} {self.item_id}: {self.message}", *history])

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "item_id": self.item_id, "message": self.message, "history": self.history.lines()}


@dataclass(frozen=True)
class Metrics:
    time_to_sync_s: float | None = None  # the slowest of sync_times_s
    sync_times_s: tuple[float, ...] = ()  # one per return of the network after it was offline
    requests: int = 0
    retries: int = 0
    bytes_on_wire: int | None = None
    payload_bytes: int | None = None
    wire_ratio: float | None = None  # bytes on the wire / payload bytes
    intents: int = 0
    applied: int = 0
    pending: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sync_times_s"] = list(self.sync_times_s)
        return data


@dataclass(frozen=True)
class Verdict:
    violations: list[Violation] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)

    @property
    def passed(self) -> bool:
        return not self.violations

    def kinds(self) -> list[str]:
        return [violation.kind for violation in self.violations]

    def explain(self) -> str:
        if self.passed:
            return "pass: every accepted item applied exactly once"
        return "\n".join(violation.explain() for violation in self.violations)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": "pass" if self.passed else "fail",
            "violations": [violation.to_dict() for violation in self.violations],
            "metrics": self.metrics.to_dict(),
        }
