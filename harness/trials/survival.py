"""What the checker cannot see by itself after a kill: acknowledged actions that vanished from the
device's own intent log, and media records on the server that show a partial or foreign upload.

The checker compares the intent log with the ledger, so an intent the killed device forgot is
invisible to it; the trial keeps its own list of what the device acknowledged before the kill.
Media are checked as a user would see them: the records on each job, and their downloaded bytes.
"""

from __future__ import annotations

from typing import Any

import httpx

from harness.checker.verdict import CORRUPT, DUPLICATE, LOST, PHANTOM
from harness.core.contract import MEDIA_KINDS, sha256_hex


def violation(kind: str, item_id: str, message: str, history: list[str]) -> dict[str, Any]:
    """A violation in the shape the checker's ``Violation.to_dict`` gives (results.json)."""
    return {"kind": kind, "item_id": item_id, "message": message, "history": history}


def acknowledged_survived(acknowledged: dict[str, dict[str, Any]], history: dict[str, Any]) -> list[dict[str, Any]]:
    """Each action the device acknowledged (``item_id -> its answer``) is in the intent log read back
    from the durable store after the restart, with the same content hash."""
    intents = {intent["item_id"]: intent for intent in history.get("intents", [])}
    found = []
    for item_id, answer in acknowledged.items():
        said = f"device: acknowledged {answer.get('kind')} of job {answer.get('job_id') or '-'} before the kill"
        intent = intents.get(item_id)
        if intent is None:
            found.append(violation(LOST, item_id, f"{answer.get('kind')} acknowledged before the kill is missing from"
                                   " the device's intent log after the restart", [said, "device: no intent after restart"]))
        elif intent["content_hash"] != answer.get("content_hash"):
            found.append(violation(CORRUPT, item_id, f"{answer.get('kind')} changed across the restart: content hash"
                                   f" {intent['content_hash'][:12]} after, {str(answer.get('content_hash'))[:12]} before",
                                   [said]))
    return found


async def visible_media(http: httpx.AsyncClient, job_ids: list[str]) -> list[dict[str, Any]]:
    """Every photo and signature record the server shows on these jobs, with its downloaded bytes."""
    records = []
    for job_id in job_ids:
        job = (await http.get(f"/v1/jobs/{job_id}")).raise_for_status().json()
        for record in [*job.get("photos", []), *([job["signature"]] if job.get("signature") else [])]:
            content = (await http.get(record["url"])).raise_for_status().content
            records.append({**record, "job_id": job_id, "downloaded": len(content), "downloaded_sha256": sha256_hex(content)})
    return records


def media_complete(records: list[dict[str, Any]], history: dict[str, Any], applied: set[str]) -> list[dict[str, Any]]:
    """No partial upload is visible as a media record: each record is one whole file the device made.

    ``applied``: item ids the ledger shows applied (a media item applied there must be visible).
    """
    intents = {i["item_id"]: i for i in history.get("intents", []) if i["kind"] in MEDIA_KINDS}
    found: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for record in records:
        item_id = record.get("item_id") or f"media-{record['id']}"
        seen[item_id] = seen.get(item_id, 0) + 1
        server = (f"server: {record['kind']} record {record['id']} on job {record['job_id']}, size {record['size']},"
                  f" {record['downloaded']} bytes downloaded, sha256 {record['downloaded_sha256'][:12]}")
        intent = intents.get(item_id)
        if intent is None:
            found.append(violation(PHANTOM, item_id, f"a {record['kind']} record the device never made", [server]))
            continue
        size = intent.get("extra", {}).get("size")
        made = f"device: made {intent['kind']} of {size} bytes, sha256 {intent['content_hash'][:12]}"
        if record["downloaded_sha256"] != intent["content_hash"] or (size is not None and record["downloaded"] != size):
            found.append(violation(CORRUPT, item_id, f"the visible {record['kind']} holds {record['downloaded']} bytes"
                                   f" of {size}: a partial or wrong upload became a media record", [made, server]))
    for item_id, count in seen.items():
        if count > 1:
            found.append(violation(DUPLICATE, item_id, f"{count} media records for one {intents.get(item_id, {}).get('kind', 'media')}",
                                   [f"server: {count} records with item {item_id}"]))
    for item_id, intent in intents.items():
        if item_id in applied and item_id not in seen:
            found.append(violation(LOST, item_id, f"{intent['kind']} applied in the ledger but no media record is"
                                   " visible on its job", [f"device: made {intent['kind']} of job {intent.get('job_id')}"]))
    return found
