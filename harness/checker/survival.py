"""Rules for a history that went through a SIGKILL and a restart (the crash trials), beside ``check``:
acknowledged actions that vanished from the device's own intent log, and media records on the server
that show a partial or foreign upload.

``check`` compares the intent log with the ledger, so an intent the killed device forgot is
invisible to it: these rules also take what the device acknowledged before the kill (item id -> its
answer). Media are judged as a user would see them: the records on each job, with their downloaded
bytes (``harness/trials/survival.py`` reads them from the server).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.checker.verdict import CORRUPT, DUPLICATE, LOST, PHANTOM, ItemHistory, Violation
from harness.core.contract import MEDIA_KINDS

# The kinds these rules report: all of them kinds of the contract already (harness/core/vocabulary.py).
SURVIVAL_VIOLATION_KINDS = (LOST, CORRUPT, DUPLICATE, PHANTOM)


@dataclass(frozen=True)
class Evidence(ItemHistory):
    """An item's history told by the evidence a rule read, one line each."""

    notes: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        return list(self.notes)


def _violation(kind: str, item_id: str, message: str, notes: list[str]) -> Violation:
    return Violation(kind, item_id, message, Evidence(item_id, notes=tuple(notes)))


def acknowledged_survived(acknowledged: dict[str, dict[str, Any]], history: dict[str, Any]) -> list[Violation]:
    """Each action the device acknowledged (``item_id -> its answer``) is in the intent log read back
    from the durable store after the restart, with the same content hash."""
    intents = {intent["item_id"]: intent for intent in history.get("intents", [])}
    found = []
    for item_id, answer in acknowledged.items():
        said = f"device: acknowledged {answer.get('kind')} of job {answer.get('job_id') or '-'} before the kill"
        intent = intents.get(item_id)
        if intent is None:
            found.append(_violation(LOST, item_id, f"{answer.get('kind')} acknowledged before the kill is missing"
                                    " from the device's intent log after the restart",
                                    [said, "device: no intent after restart"]))
        elif intent["content_hash"] != answer.get("content_hash"):
            found.append(_violation(CORRUPT, item_id, f"{answer.get('kind')} changed across the restart: content"
                                    f" hash {intent['content_hash'][:12]} after,"
                                    f" {str(answer.get('content_hash'))[:12]} before", [said]))
    return found


def media_complete(records: list[dict[str, Any]], history: dict[str, Any], applied: set[str]) -> list[Violation]:
    """No partial upload is visible as a media record: each record is one whole file the device made.

    ``records``: the media records visible on the jobs, each with ``downloaded`` (bytes) and
    ``downloaded_sha256``; ``applied``: item ids the ledger shows applied (those must be visible).
    """
    intents = {i["item_id"]: i for i in history.get("intents", []) if i["kind"] in MEDIA_KINDS}
    found: list[Violation] = []
    seen: dict[str, int] = {}
    for record in records:
        item_id = record.get("item_id") or f"media-{record['id']}"
        seen[item_id] = seen.get(item_id, 0) + 1
        server = (f"server: {record['kind']} record {record['id']} on job {record['job_id']}, size {record['size']},"
                  f" {record['downloaded']} bytes downloaded, sha256 {record['downloaded_sha256'][:12]}")
        intent = intents.get(item_id)
        if intent is None:
            found.append(_violation(PHANTOM, item_id, f"a {record['kind']} record the device never made", [server]))
            continue
        size = intent.get("extra", {}).get("size")
        made = f"device: made {intent['kind']} of {size} bytes, sha256 {intent['content_hash'][:12]}"
        if record["downloaded_sha256"] != intent["content_hash"] or (size is not None and record["downloaded"] != size):
            found.append(_violation(CORRUPT, item_id, f"the visible {record['kind']} holds {record['downloaded']}"
                                    f" bytes of {size}: a partial or wrong upload became a media record",
                                    [made, server]))
    for item_id, count in seen.items():
        if count > 1:
            kind = intents.get(item_id, {}).get("kind", "media")
            found.append(_violation(DUPLICATE, item_id, f"{count} media records for one {kind}",
                                    [f"server: {count} records with item {item_id}"]))
    for item_id, intent in intents.items():
        if item_id in applied and item_id not in seen:
            found.append(_violation(LOST, item_id, f"{intent['kind']} applied in the ledger but no media record is"
                                    " visible on its job",
                                    [f"device: made {intent['kind']} of job {intent.get('job_id')}"]))
    return found


def check_survival(acknowledged: dict[str, dict[str, Any]], history: dict[str, Any], ledger: dict[str, Any],
                   media_records: list[dict[str, Any]]) -> list[Violation]:
    """Both rules on what a crash trial left behind."""
    applied = {m["item_id"] for m in ledger.get("mutations", [])}
    return acknowledged_survived(acknowledged, history) + media_complete(media_records, history, applied)
