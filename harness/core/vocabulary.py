"""The vocabulary the parts share, one registry per kind of word: the actions a technician or the
office takes, the faults of a device's surroundings, the violations the checker reports.

Each entry carries its name, its one-line doc and, for an action, the JSON Schema of its arguments
(the ``properties`` of ``args``; references such as ``#/$defs/job_ref`` point into the scenario schema).
harness/scenarios/vocabulary/generate.py builds schema.json from these; the device control channel's
ops and the reference device's media arguments are derived from them. Core imports nothing of ours, so
client, server, checker and scenarios all may read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Action:
    """One thing a technician does on the device (``as: alice, do: NAME``) or the office does (``office: NAME``)."""

    name: str
    doc: str
    properties: dict[str, Any]  # the JSON Schema of each argument
    required: tuple[str, ...] = ()
    media_arg: str | None = None  # the Device keyword that takes the photo's or signature's bytes
    by: Literal["technician", "office"] = "technician"


ACTIONS: tuple[Action, ...] = (
    Action(
        "set_status",
        "Move the job to a status (it must go forward: en_route, in_progress, complete).",
        {
            "job": {"$ref": "#/$defs/job_ref"},
            "status": {"enum": ["en_route", "in_progress", "complete"], "description": "The new status of the job."},
        },
        required=("job", "status"),
    ),
    Action(
        "take_photo",
        "Take a photo of the job: stored on the device, uploaded (tus, resumable) when online.",
        {
            "job": {"$ref": "#/$defs/job_ref"},
            "size_kb": {
                "type": "integer",
                "minimum": 1,
                "maximum": 51200,
                "default": 200,
                "description": "Size of the generated photo in KiB (from the seed).",
            },
            "file": {
                "type": "string",
                "minLength": 1,
                "description": "A photo from fixtures/ instead of a generated one (path relative to the repository).",
            },
        },
        required=("job",),
        media_arg="photo",
    ),
    Action(
        "add_note",
        "Add a note to the job.",
        {
            "job": {"$ref": "#/$defs/job_ref"},
            "text": {"type": "string", "description": "The note's text (default: generated from the seed)."},
        },
        required=("job",),
    ),
    Action(
        "collect_signature",
        "Collect the customer's signature on the device.",
        {
            "job": {"$ref": "#/$defs/job_ref"},
            "signer_name": {
                "type": "string",
                "minLength": 1,
                "description": "Who signs (default: the customer's name).",
            },
        },
        required=("job",),
        media_arg="signature",
    ),
    Action(
        "clock_in",
        "Clock in (on the device clock), optionally on a job.",
        {
            "job": {"$ref": "#/$defs/job_ref"},
        },
    ),
    Action(
        "clock_out",
        "Clock out (on the device clock), optionally on a job.",
        {
            "job": {"$ref": "#/$defs/job_ref"},
        },
    ),
    Action(
        "send_estimate",
        "Send the job's estimate to the customer: queued offline, emailed once back online.",
        {
            "job": {"$ref": "#/$defs/job_ref"},
        },
        required=("job",),
    ),
    Action(
        "send_invoice",
        "Send the job's invoice to the customer: queued offline, emailed once back online.",
        {
            "job": {"$ref": "#/$defs/job_ref"},
        },
        required=("job",),
    ),
    Action(
        "charge_card",
        "Take a card payment: online only, refused with a message when offline.",
        {
            "job": {"$ref": "#/$defs/job_ref"},
            "amount_cents": {
                "type": "integer",
                "minimum": 1,
                "description": "Amount in cents (default: the job's line items).",
            },
            "card": {
                "enum": ["ok", "declined"],
                "default": "ok",
                "description": "A card that is accepted, or one the bank declines (HTTP 402).",
            },
        },
        required=("job",),
    ),
    Action(
        "report_location",
        "Record a GPS point (tracking pauses offline).",
        {
            "lat": {
                "type": "number",
                "minimum": -90,
                "maximum": 90,
                "description": "Latitude (default: near the job, from the seed).",
            },
            "lon": {"type": "number", "minimum": -180, "maximum": 180, "description": "Longitude."},
        },
    ),
    Action(
        "open_schedule",
        "Open the day's schedule (from the cache when offline).",
        {
            "date": {
                "type": "string",
                "pattern": "^\\d{4}-\\d{2}-\\d{2}$",
                "description": "The day, YYYY-MM-DD (default: today).",
            },
        },
    ),
    Action(
        "open_job",
        "Open a job's details, customer and history (from the cache when offline).",
        {
            "job": {"$ref": "#/$defs/job_ref"},
        },
        required=("job",),
    ),
    Action(
        "refresh_assignments",
        "Pull to refresh: load new job assignments.",
        {
        },
    ),
    Action(
        "assign_job",
        "The office assigns a new job; the technician sees it after the next refresh online.",
        {
            "job": {"$ref": "#/$defs/job_id", "description": "Id of the new job (used by later steps)."},
            "technician": {"$ref": "#/$defs/technician_name", "description": "Who gets the job."},
            "title": {"type": "string", "description": "Job title (default: generated)."},
        },
        required=("job", "technician"),
        by="office",
    ),
)
TECHNICIAN_ACTIONS = tuple(action.name for action in ACTIONS if action.by == "technician")
OFFICE_ACTIONS = tuple(action.name for action in ACTIONS if action.by == "office")
MEDIA_ARGS = {action.name: action.media_arg for action in ACTIONS if action.media_arg}


@dataclass(frozen=True)
class DeviceFault:
    """A fault of a device's surroundings, not of the app (a scenario's ``device_fault: NAME``)."""

    name: str
    doc: str


DEVICE_FAULTS: tuple[DeviceFault, ...] = (
    DeviceFault(
        "corrupt_next_upload_chunk",
        "a faulty link, middlebox or storage flips one byte in the body of the next upload chunk (tus PATCH) every"
        " device sends, after the app computed its Upload-Checksum from the file.",
    ),
)
DEVICE_FAULT_NAMES = tuple(fault.name for fault in DEVICE_FAULTS)


@dataclass(frozen=True)
class ViolationKind:
    """A kind of violation the checker reports (harness/checker)."""

    name: str
    doc: str


VIOLATION_KINDS: tuple[ViolationKind, ...] = (
    ViolationKind("LOST", "the device accepted an item that the server never applied"),
    ViolationKind("DUPLICATE", "one item applied more than once"),
    ViolationKind("CORRUPT", "applied with content that differs from what the device accepted (hash mismatch)"),
    ViolationKind("PHANTOM", "applied on the server but never made on a device"),
    ViolationKind("REORDERED", "a job's status transitions applied out of their order"),
    ViolationKind("LEAKED", "an online-only action took effect offline or from a queue"),
    ViolationKind("SIDE_EFFECT_DUP", "an email sent or a card charged twice"),
    ViolationKind("STUCK", "not synced by the deadline"),
    ViolationKind("RETRY_STORM", "retried sooner than the server's Retry-After, or in a storm with no backoff"),
)
VIOLATION_KIND_NAMES = tuple(kind.name for kind in VIOLATION_KINDS)
