"""Hand-made device histories and server ledgers for the checker's tests."""

from __future__ import annotations

import itertools
from typing import Any

from harness.checker import Verdict, Violation, check
from harness.core.contract import DOCUMENT_SEND, GPS, NOTE, PAYMENT, PHOTO, SIGNATURE, STATUS, content_hash

T0 = 1_800_000_000.0  # a fixed epoch second, so histories are reproducible

DEFAULT_CONTENT: dict[str, dict[str, Any]] = {
    STATUS: {"status": "en_route"},
    NOTE: {"text": "gate code 1234"},
    DOCUMENT_SEND: {"doc_type": "invoice"},
    PAYMENT: {"amount_cents": 12_500},
    GPS: {"lat": 48.85, "lon": 2.35},
    PHOTO: {"sha256": "a" * 64},
    SIGNATURE: {"sha256": "b" * 64},
}


def at(seconds: float) -> float:
    return T0 + seconds


class World:
    """One scenario's records, built step by step: ``world.synced(world.intent("note"))``."""

    def __init__(self) -> None:
        self.history: dict[str, Any] = {
            "intents": [], "attempts": [], "refused": [], "sync_states": [], "outbox": [], "counters": {},
        }
        self.ledger: dict[str, Any] = {"mutations": [], "emails": [], "charges": [], "uploads": []}
        self.timeline: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._seqs = itertools.count(1)
        self._orders: dict[str | None, int] = {}

    def network(self, seconds: float, state: str) -> None:
        self.timeline.append({"at": at(seconds), "state": state})

    def sync_state(self, seconds: float, state: str) -> None:
        self.history["sync_states"].append({"state": state, "at": at(seconds)})

    def intent(self, kind: str, *, t: float = 1.0, job: str | None = "job-1", **content: Any) -> dict[str, Any]:
        fields = {**DEFAULT_CONTENT.get(kind, {}), **content}
        if kind == GPS:
            fields.setdefault("at", at(t))
        item_id = f"item-{next(self._ids)}"
        self._orders[job] = self._orders.get(job, 0) + 1
        extra = {key: value for key, value in fields.items() if key in ("status", "signer_name", "doc_type", "at")}
        intent = {
            "item_id": item_id,
            "kind": kind,
            "job_id": job,
            "content_hash": content_hash(kind, {"job_id": job, **fields}),
            "accepted_at": at(t),
            "idempotency_key": f"key-{item_id}",
            "order": self._orders[job],
            "online_only": kind == PAYMENT,
            "extra": extra,
        }
        self.history["intents"].append(intent)
        return intent

    def attempt(self, intent: dict[str, Any], outcome: str, *, t: float, status: int | None = None,
                error: str | None = None) -> None:
        number = 1 + sum(1 for a in self.history["attempts"] if a["item_id"] == intent["item_id"])
        self.history["attempts"].append({
            "item_id": intent["item_id"], "attempt": number, "started_at": at(t), "ended_at": at(t + 0.1),
            "outcome": outcome, "http_status": status, "error": error,
        })

    def apply(self, intent: dict[str, Any], *, t: float, item_id: str | None = None,
              content_hash: str | None = None, **payload: Any) -> None:
        self.ledger["mutations"].append({
            "seq": next(self._seqs), "kind": intent["kind"], "item_id": item_id or intent["item_id"],
            "idempotency_key": intent["idempotency_key"], "job_id": intent["job_id"],
            "content_hash": content_hash or intent["content_hash"], "applied_at": at(t),
            "payload": {**intent["extra"], **payload},
        })

    def email(self, intent: dict[str, Any], *, t: float) -> None:
        self.ledger["emails"].append({
            "seq": next(self._seqs), "to": "customer@example.com", "job_id": intent["job_id"],
            "doc_type": intent["extra"].get("doc_type"), "item_id": intent["item_id"], "sent_at": at(t),
        })

    def charge(self, intent: dict[str, Any], *, t: float) -> None:
        self.ledger["charges"].append({
            "seq": next(self._seqs), "job_id": intent["job_id"], "item_id": intent["item_id"],
            "amount_cents": 12_500, "charged_at": at(t),
        })

    def synced(self, intent: dict[str, Any], *, t: float = 2.0) -> dict[str, Any]:
        """The happy path: one ok attempt, one ledger entry, and the kind's side effect."""
        self.attempt(intent, "ok", t=t, status=201)
        self.apply(intent, t=t + 0.05)
        if intent["kind"] == DOCUMENT_SEND:
            self.email(intent, t=t + 0.06)
        if intent["kind"] == PAYMENT:
            self.charge(intent, t=t + 0.06)
        return intent

    def verdict(self) -> Verdict:
        return check(self.history, self.ledger, self.timeline)


def found(verdict: Verdict) -> list[tuple[str, str]]:
    return [(violation.kind, violation.item_id) for violation in verdict.violations]


def only_violation(world: World, kind: str, item_id: str) -> Violation:
    """The world's single violation, asserted to be ``kind`` about ``item_id``."""
    verdict = world.verdict()
    assert found(verdict) == [(kind, item_id)], verdict.explain()
    return verdict.violations[0]
