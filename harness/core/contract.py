"""The contract between device, backend and checker: item kinds and content hashes.

The reference client writes ``content_hash`` into its intent log when the technician acts;
the reference server writes the same hash into its ledger when it applies the mutation.
The checker compares the two, so both sides must compute it here, in one place.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# Kinds of queued item (one per row of the contract table that queues something).
STATUS = "status"
NOTE = "note"
TIME_ENTRY = "time_entry"
DOCUMENT_SEND = "document_send"
PAYMENT = "payment"
GPS = "gps"
PHOTO = "photo"
SIGNATURE = "signature"
KINDS = (STATUS, NOTE, TIME_ENTRY, DOCUMENT_SEND, PAYMENT, GPS, PHOTO, SIGNATURE)
MEDIA_KINDS = (PHOTO, SIGNATURE)
ONLINE_ONLY_KINDS = (PAYMENT, GPS)  # never queued: refused (payment) or dropped (GPS) offline

# Job statuses in their only legal order; a move is legal when it goes forward.
JOB_STATUSES = ("scheduled", "en_route", "in_progress", "complete")
TIME_ENTRY_KINDS = ("clock_in", "clock_out")
DOCUMENT_TYPES = ("estimate", "invoice")

# The fields of each kind that make up its content; everything else is transport.
CONTENT_FIELDS: dict[str, tuple[str, ...]] = {
    STATUS: ("job_id", "status"),
    NOTE: ("job_id", "text"),
    TIME_ENTRY: ("job_id", "entry", "at"),
    DOCUMENT_SEND: ("job_id", "doc_type"),
    PAYMENT: ("job_id", "amount_cents"),
    GPS: ("lat", "lon", "at"),
}


def canonical_json(value: Any) -> bytes:
    """Stable JSON bytes: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_hash(kind: str, content: Mapping[str, Any]) -> str:
    """Hash of an item's content. Media items hash their bytes: pass ``{"sha256": ...}``."""
    if kind in MEDIA_KINDS:
        return str(content["sha256"])
    try:
        fields = CONTENT_FIELDS[kind]
    except KeyError:
        raise ValueError(f"unknown item kind {kind!r}; expected one of {', '.join(KINDS)}") from None
    return sha256_hex(canonical_json({name: content.get(name) for name in fields}))
