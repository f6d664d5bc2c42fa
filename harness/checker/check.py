"""The exactly-once checker: the device's intent log against the server's ledger.

``check(history, ledger, timeline)`` is a pure function (no I/O, no clock): the same inputs always
give the same verdict. Rules, each naming the item it is about:

- applied more than once (two ledger entries for one item, whatever the attempts' outcomes) → DUPLICATE;
  an ``info`` attempt (unknown outcome) is fine as long as the item ends applied exactly once.
- applied with another content hash (or, for a signature, another signer name) → CORRUPT.
- accepted, never applied, still in the device's outbox → STUCK (the device still has it).
- accepted, never applied, gone from the device → LOST; if the server refused it (a 4xx that is
  not "try again later") the refusal is named; a status move refused as ``illegal_transition``
  although the intended order was legal → REORDERED (it was sent out of order).
- status moves of one job applied in another order than intended → REORDERED.
- an online-only action (payment, GPS) that went into the device's queue → LEAKED, applied or not
  (queued but not yet charged is LEAKED too: the contract says "never queued"). An online-only
  action sent at once (``queued`` false) is no violation even if the network dropped during the
  send: the device told the user, and nothing was queued. Where the device does not say whether it
  queued, the timeline decides: accepted, or applied, while offline → LEAKED. A payment the
  device refused offline that is charged anyway → LEAKED.
- a document send with more than one email, a payment with more than one charge → SIDE_EFFECT_DUP;
  applied with no email/charge at all → LOST (the customer never got it).
- a ledger entry, email or charge no intent accounts for → PHANTOM.
- GPS: tracking is paused offline. A point whose device timestamp lies in an offline period is
  LEAKED when the device has an intent for it (it recorded while it should have paused, and the
  queue delivered it: an effect that must not come from offline, like a queued payment), and
  PHANTOM when it has none (the point was invented, e.g. interpolated across the gap). A point the
  device recorded offline and then dropped is no violation: dropping it is what pausing means.
- a payment declined by the card (HTTP 402) is the customer's answer, not a sync failure: no violation.
- an item retried sooner than its answer's Retry-After, or retried at once after several
  "try again later" answers in a row (no backoff) → RETRY_STORM (rules in harness/checker/retries.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from harness.checker.items import Items
from harness.checker.metrics import measure
from harness.checker.model import (
    Attempt,
    DeviceHistory,
    Intent,
    Ledger,
    LedgerEntry,
    NetworkEvent,
    parse_time,
    timeline_from_list,
)
from harness.checker.retries import retry_storm_findings
from harness.checker.timeline import NetworkTimeline
from harness.checker.verdict import (
    CORRUPT,
    DUPLICATE,
    LEAKED,
    LOST,
    PHANTOM,
    REORDERED,
    RETRY_STORM,
    SIDE_EFFECT_DUP,
    STUCK,
    ItemHistory,
    Verdict,
    Violation,
    clock,
    short,
)
from harness.core.contract import DOCUMENT_SEND, GPS, JOB_STATUSES, PAYMENT, SIGNATURE, STATUS, content_hash

# 4xx answers that mean "try again later", not "this request is refused".
RETRYABLE_4XX = frozenset({408, 409, 423, 425, 429})
CARD_DECLINED = 402

Report = Callable[[str, str], None]


def check(
    history: DeviceHistory | Mapping[str, Any],
    ledger: Ledger | Mapping[str, Any],
    timeline: Sequence[NetworkEvent] | Sequence[Mapping[str, Any]] | None = None,
) -> Verdict:
    """The verdict on one scenario run."""
    if not isinstance(history, DeviceHistory):
        history = DeviceHistory.from_dict(history)
    if not isinstance(ledger, Ledger):
        ledger = Ledger.from_dict(ledger)
    network = _network(timeline)
    items = Items(history, ledger)
    violations: list[Violation] = []
    for intent in items.intents.values():
        violations += _check_intent(intent, items, history, network)
    violations += _check_status_order(items)
    violations += _check_unaccounted(items, history, network)
    return Verdict(violations=violations, metrics=measure(history, items, network))


def _network(timeline: Sequence[NetworkEvent] | Sequence[Mapping[str, Any]] | None) -> NetworkTimeline:
    events = list(timeline or [])
    parsed = [event for event in events if isinstance(event, NetworkEvent)]
    return NetworkTimeline.of(parsed if len(parsed) == len(events) else timeline_from_list(events))


def _check_intent(intent: Intent, items: Items, history: DeviceHistory, network: NetworkTimeline) -> list[Violation]:
    item = items.history(intent.item_id)
    found: list[Violation] = []

    def report(kind: str, message: str) -> None:
        found.append(Violation(kind, intent.item_id, message, item))

    entries = item.entries
    if len(entries) > 1:
        unknown = " after an attempt with unknown outcome (info)" if _had_info(item.attempts) else ""
        report(DUPLICATE, f"{intent.kind} applied {len(entries)} times{unknown}: ledger seq {_seqs(entries)}")
    if entries:
        _check_applied(intent, items, network, report)
    else:
        _check_not_applied(intent, items, history, network, report)
    if len(item.emails) > 1:
        doc_type = intent.extra.get("doc_type", "document")
        report(SIDE_EFFECT_DUP, f"the customer got {len(item.emails)} emails for one {doc_type} send")
    for finding in retry_storm_findings(item.attempts):
        report(RETRY_STORM, finding)
    if len(item.charges) > 1:
        total = sum(charge.amount_cents for charge in item.charges)
        report(SIDE_EFFECT_DUP, f"the card was charged {len(item.charges)} times ({total} cents in all)"
                                " for one payment")
    return found


def _check_applied(intent: Intent, items: Items, network: NetworkTimeline, report: Report) -> None:
    item = items.history(intent.item_id)
    corrupt = [entry for entry in item.entries if entry.content_hash != intent.content_hash]
    if corrupt:
        report(
            CORRUPT,
            f"the server's {intent.kind} has hash {short(corrupt[0].content_hash)},"
            f" the device made {short(intent.content_hash)}",
        )
    elif intent.kind == SIGNATURE and "signer_name" in intent.extra:
        names = {entry.payload.get("signer_name") for entry in item.entries}
        if names != {intent.extra["signer_name"]}:
            wrong = ", ".join(repr(name) for name in sorted(names, key=str))
            collected = intent.extra["signer_name"]
            report(CORRUPT, f"signer name on the server is {wrong}, the device collected {collected!r}")
    _check_applied_online_only(intent, item, network, report)
    if intent.kind == DOCUMENT_SEND and not item.emails:
        report(LOST, "the send was applied but no email went to the customer")
    if intent.kind == PAYMENT and not item.charges:
        report(LOST, "the payment was applied but the card was never charged")


def _check_applied_online_only(intent: Intent, item: ItemHistory, network: NetworkTimeline, report: Report) -> None:
    """An online-only action (payment, GPS point) that took effect from the queue or offline is LEAKED."""
    if intent.online_only and intent.queued is not None:
        if intent.queued:
            report(
                LEAKED,
                f"online-only {intent.kind} went into the device's queue at {clock(intent.accepted_at)}"
                f" and was applied from it at {clock(item.entries[0].applied_at)}; it must be refused offline",
            )
    elif intent.online_only:
        if network.offline_at(intent.accepted_at):
            report(
                LEAKED,
                f"online-only {intent.kind} accepted while offline at {clock(intent.accepted_at)}"
                f" and applied from the queue at {clock(item.entries[0].applied_at)}; it must be refused offline",
            )
        elif any(network.offline_at(entry.applied_at) for entry in item.entries):
            report(LEAKED, f"online-only {intent.kind} applied while the network was offline")
    if intent.kind == GPS and intent.queued is None:
        at = _gps_time(intent.extra, intent.accepted_at)
        period = network.offline_period_containing(at)
        if period is not None:
            report(
                LEAKED,
                f"GPS point recorded at {clock(at)}, inside the offline period {_period(period)}:"
                " tracking must pause offline, yet the queued point reached the server",
            )


def _check_not_applied(
    intent: Intent, items: Items, history: DeviceHistory, network: NetworkTimeline, report: Report
) -> None:
    item = items.history(intent.item_id)
    if intent.online_only and intent.queued is False:
        return  # sent at once and not applied: the device told the user; nothing was queued
    if intent.kind == GPS and not intent.queued and network.offline_at(_gps_time(intent.extra, intent.accepted_at)):
        return  # recorded offline and dropped: tracking paused, as the contract asks
    if intent.online_only and (intent.queued or network.offline_at(intent.accepted_at)):
        report(
            LEAKED,
            f"online-only {intent.kind} accepted into the queue while offline at {clock(intent.accepted_at)}"
            " (not applied yet); it must be refused offline, never queued",
        )
        return
    refusal = _refusal(item.attempts)
    if refusal is not None:
        if intent.kind == PAYMENT and refusal.http_status == CARD_DECLINED:
            return  # the card was declined: the customer's answer, not a sync failure
        named = f"HTTP {refusal.http_status}{f' {refusal.error}' if refusal.error else ''}"
        if "illegal_transition" in (refusal.error or "") and _legal_move(intent, items):
            before = _previous_status(intent, items)
            report(
                REORDERED,
                f"status {_status_of(intent)!r} refused ({named}) although the intended order"
                f" {before!r} → {_status_of(intent)!r} is legal: it reached the server out of order",
            )
        else:
            report(LOST, f"refused by the server ({named}) after the device had accepted it")
    elif intent.item_id in history.outbox:
        report(STUCK, f"still queued on the device after {_attempts_said(item.attempts)}; not synced by the deadline")
    else:
        report(LOST, f"not on the server and no longer on the device ({_why_lost(item.attempts)})")


def _check_status_order(items: Items) -> list[Violation]:
    """Status moves of each job must be applied in the order the technician made them."""
    found: list[Violation] = []
    for job_id, intents in _status_intents_by_job(items).items():
        applied = sorted(
            (intent for intent in intents if items.entries.get(intent.item_id)),
            key=lambda intent: items.entries[intent.item_id][0].seq,
        )
        latest: Intent | None = None
        for intent in applied:
            if latest is not None and _rank(intent) < _rank(latest):
                found.append(
                    Violation(
                        REORDERED,
                        intent.item_id,
                        f"status {_status_of(intent)!r} of job {job_id} (order {intent.order}) applied after"
                        f" {_status_of(latest)!r} (order {latest.order}, item {latest.item_id})"
                        " although made before it",
                        items.history(intent.item_id),
                    )
                )
            if latest is None or _rank(intent) > _rank(latest):
                latest = intent
    return found


def _check_unaccounted(items: Items, history: DeviceHistory, network: NetworkTimeline) -> list[Violation]:
    """Ledger entries, emails and charges that no intent of the device accounts for."""
    found: list[Violation] = []
    for item_id, entries in items.unmatched.items():
        first = entries[0]
        refused = next(
            (r for r in history.refused
             if r.kind == first.kind and r.job_id == first.job_id and r.at <= first.applied_at),
            None,
        )
        if refused is not None:
            message = (
                f"the device refused this {first.kind} offline at {clock(refused.at)}"
                f" ({refused.reason or 'no reason given'}) but it was applied at {clock(first.applied_at)} anyway"
            )
            found.append(Violation(LEAKED, item_id, message, items.history(item_id)))
            continue
        message = f"{first.kind} applied by the server (ledger seq {_seqs(entries)}) but the device never made it"
        if first.kind == GPS:
            period = network.offline_period_containing(_gps_time(first.payload, first.applied_at))
            if period is not None:
                message = f"GPS point invented for the offline period {_period(period)} (ledger seq {_seqs(entries)})"
        found.append(Violation(PHANTOM, item_id, message, items.history(item_id)))
    for item_id in items.side_effect_orphans():
        emails, charges = len(items.emails.get(item_id, [])), len(items.charges.get(item_id, []))
        message = f"{emails} email(s) and {charges} charge(s) with no intent and no applied mutation"
        found.append(Violation(PHANTOM, item_id, message, items.history(item_id)))
    return found


def _refusal(attempts: tuple[Attempt, ...]) -> Attempt | None:
    """The server's final refusal of the item, if its last answered attempt was one."""
    for attempt in reversed(attempts):
        status = attempt.http_status
        if status is not None:
            return attempt if 400 <= status < 500 and status not in RETRYABLE_4XX else None
    return None


def _status_intents_by_job(items: Items) -> dict[str | None, list[Intent]]:
    jobs: dict[str | None, list[Intent]] = {}
    for intent in items.intents.values():
        if intent.kind == STATUS:
            jobs.setdefault(intent.job_id, []).append(intent)
    return {job: sorted(intents, key=_rank) for job, intents in jobs.items()}


def _rank(intent: Intent) -> tuple[bool, int, float]:
    """Intended order within a job: the per-job sequence number, else the acceptance time."""
    return (intent.order is None, intent.order or 0, intent.accepted_at)


def _status_of(intent: Intent) -> str | None:
    """The status a status intent moves to: ``extra.status``, else recovered from its content hash."""
    if intent.extra.get("status"):
        return str(intent.extra["status"])
    for status in JOB_STATUSES:
        if content_hash(STATUS, {"job_id": intent.job_id, "status": status}) == intent.content_hash:
            return status
    return None


def _previous_status(intent: Intent, items: Items) -> str:
    intents = _status_intents_by_job(items)[intent.job_id]
    index = intents.index(intent)
    return (_status_of(intents[index - 1]) if index > 0 else None) or JOB_STATUSES[0]


def _legal_move(intent: Intent, items: Items) -> bool:
    status = _status_of(intent)
    if status not in JOB_STATUSES:
        return False  # cannot tell: report the refusal as LOST instead of guessing REORDERED
    before = _previous_status(intent, items)
    return before in JOB_STATUSES and JOB_STATUSES.index(status) > JOB_STATUSES.index(before)


def _gps_time(fields: Mapping[str, Any], default: float) -> float:
    at = fields.get("at")
    return default if at is None else parse_time(at, "gps.at")


def _had_info(attempts: tuple[Attempt, ...]) -> bool:
    return any(attempt.outcome == "info" for attempt in attempts)


def _seqs(entries: tuple[LedgerEntry, ...] | list[LedgerEntry]) -> str:
    return ", ".join(str(entry.seq) for entry in entries)


def _period(period: tuple[float, float | None]) -> str:
    return f"{clock(period[0])}-{clock(period[1]) if period[1] is not None else 'end'}"


def _attempts_said(attempts: tuple[Attempt, ...]) -> str:
    if not attempts:
        return "no attempt at all"
    return f"{len(attempts)} attempt(s), the last {attempts[-1].outcome}"


def _why_lost(attempts: tuple[Attempt, ...]) -> str:
    if not attempts:
        return "never sent"
    last = attempts[-1]
    if last.outcome == "info":
        return "the last attempt's outcome was unknown (info) and it was never retried"
    if last.outcome == "ok":
        return "the server answered ok, yet its ledger has no entry"
    return f"the last attempt failed ({last.error or last.http_status or 'no response'}) and it was dropped"
