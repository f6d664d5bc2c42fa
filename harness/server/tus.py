"""tus 1.0 uploads (core, creation, checksum, termination, expiration) for photos and signatures.

Hand-written: asgi-tus needs Python >= 3.12 and buffers each PATCH body in memory (a cut loses it),
fastapi-tusd never verifies Upload-Checksum, tuspyserver has no checksum extension, and none can
dedupe a completed upload on the client's item id inside our database transaction.

The offset *is* the size of the upload's part file: every chunk is written to the OS as it arrives
(so SIGKILL of the server keeps it), a chunk with an Upload-Checksum is held back until verified.
Whatever removes or replaces the part file (a PATCH, a DELETE, an expiry) holds the upload's lock
(upload_locks.py), so no PATCH ever streams into a file that is gone.

Rules cited are of tus 1.0, https://tus.io/protocols/resumable-upload (core, creation, checksum,
termination, expiration); tus_wire.py adds Tus-Resumable to every answer and the method override.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import os
import re
import time
from collections.abc import AsyncIterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from starlette.requests import ClientDisconnect

from harness.core import contract
from harness.core.files import fsync_dir
from harness.server import mutations, openapi
from harness.server.auth import TECHNICIAN, Principal, require_user, visible_job
from harness.server.db import Database, new_id, utc_now
from harness.server.errors import ApiError
from harness.server.tus_wire import TUS_VERSION, UPLOADS_PREFIX, TusWire
from harness.server.upload_locks import UploadBusy, next_chunk

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
CHECKSUM_ALGORITHMS = {"sha1": hashlib.sha1, "md5": hashlib.md5, "sha256": hashlib.sha256}
TUS_HEADERS = {"Tus-Resumable": TUS_VERSION}
TUS_EXTENSIONS = "creation,checksum,termination,expiration"
HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Upload-Offset and Upload-Length "MUST be a non-negative integer" (core, Headers). ASCII digits only:
# str.isdigit() also takes "²" or "٣", which int() refuses; at most 19 of them, a 64-bit size (as
# tusd's ParseInt), which also keeps int() far from its 4300-digit limit.
SIZE_DIGITS = re.compile(r"[0-9]{1,19}")
# States after which an upload URL answers 410 Gone, with the reason (and what to do).
GONE = {
    "discarded": ("upload_discarded", "this upload failed its checksum and was discarded; upload again"),
    "expired": ("upload_expired", "this upload expired; create a new one"),
    "refused": ("item_id_conflict", "this upload's item_id belongs to another user's media and was refused;"
                " upload again with a new item_id"),
}

router = APIRouter(prefix=UPLOADS_PREFIX, tags=["uploads (tus 1.0)"])


def install(app: FastAPI) -> None:
    """What the tus routes need beside the router: the wire rules of tus_wire.py, the metadata column."""
    app.add_middleware(TusWire)
    add_metadata_column(app.state.db)


def add_metadata_column(db: Database) -> None:
    """A database made before uploads kept their Upload-Metadata as sent gets the column."""
    if "metadata" not in {row["name"] for row in db.all("PRAGMA table_info(uploads)")}:
        with db.write() as conn:
            conn.execute("ALTER TABLE uploads ADD COLUMN metadata TEXT")


def tus_error(status: int, code: str, message: str, **headers: str) -> ApiError:
    return ApiError(status, code, message, {**TUS_HEADERS, **{k.replace("_", "-"): v for k, v in headers.items()}})


def require_tus(request: Request) -> None:
    if request.headers.get("tus-resumable") != TUS_VERSION:
        raise tus_error(412, "tus_version_unsupported", "send the header 'Tus-Resumable: 1.0.0'",
                        Tus_Version=TUS_VERSION)


def part_path(db: Database, upload_id: str) -> Path:
    return db.media_dir / "uploads" / f"{upload_id}.part"


def media_path(db: Database, media_id: str) -> Path:
    return db.media_dir / "files" / media_id


def current_offset(db: Database, upload: Any) -> int:
    if upload["state"] == "complete":
        return int(upload["length"])
    path = part_path(db, upload["id"])
    return path.stat().st_size if path.exists() else 0


def parse_metadata(header: str) -> dict[str, str]:
    metadata: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _, value = pair.partition(" ")
        try:
            metadata[key] = base64.b64decode(value.strip(), validate=True).decode() if value.strip() else ""
        except (binascii.Error, UnicodeDecodeError):
            raise tus_error(400, "invalid_metadata",
                            f"Upload-Metadata value of {key!r} is not base64 of UTF-8") from None
    return metadata


def parse_size(value: str | None, header: str) -> int:
    if value is None or not SIZE_DIGITS.fullmatch(value):
        shown = repr(value) if value is None or len(value) <= 40 else f"{len(value)} characters"
        raise tus_error(400, "invalid_header", f"{header} must be a non-negative integer of at most 19 ASCII"
                        f" digits, got {shown}")
    return int(value)


def expires_header(expires_at: float) -> str:
    return formatdate(expires_at, usegmt=True)


def find_upload(db: Database, who: Principal, upload_id: str) -> Any:
    """The upload if this user may use it: 404 for none, another technician's or a terminated one
    (termination: "the Server SHOULD respond with the 404 Not Found or 410 Gone status"), 410 once gone."""
    upload = db.one("SELECT * FROM uploads WHERE id = ? AND tenant_id = ?", (upload_id, who.tenant_id))
    if upload is None or upload["state"] == "terminated" or (
            who.role == TECHNICIAN and upload["user_id"] != who.user_id):
        raise tus_error(404, "upload_not_found",
                        f"no upload {upload_id!r} for this user; create one with POST /v1/uploads")
    if upload["state"] in GONE:
        raise tus_error(410, *GONE[upload["state"]])
    return upload


def past_expiry(upload: Any) -> bool:
    return upload["state"] == "open" and upload["expires_at"] < time.time()


def unexpired(db: Database, upload: Any) -> Any:
    """The upload, or 410 once its time is up; the caller holds the upload's lock. Expiration: "If
    a Client does attempt to resume an upload which has since been removed by the Server, the Server
    SHOULD respond with 404 Not Found or 410 Gone" (410: this server keeps track of expired uploads)."""
    if not past_expiry(upload):
        return upload
    with db.write() as conn:
        conn.execute("UPDATE uploads SET state = 'expired' WHERE id = ? AND state = 'open'", (upload["id"],))
    part_path(db, upload["id"]).unlink(missing_ok=True)
    raise tus_error(410, *GONE["expired"])


@contextlib.asynccontextmanager
async def upload_lock(request: Request, upload_id: str) -> AsyncIterator[asyncio.Event]:
    """Hold the upload (a streaming PATCH is asked to stop and let go first); 423 if it does not."""
    try:
        async with request.app.state.upload_locks.hold(upload_id) as stop:
            yield stop
    except UploadBusy:
        raise tus_error(423, "upload_locked", "another PATCH of this upload is still running; retry shortly") from None


async def live_upload(request: Request, who: Principal, upload_id: str) -> Any:
    """The upload for a HEAD: expired under its lock once its time is up, never under a running PATCH."""
    db: Database = request.app.state.db
    upload = find_upload(db, who, upload_id)
    if not past_expiry(upload):
        return upload
    async with upload_lock(request, upload_id):
        return unexpired(db, find_upload(db, who, upload_id))  # as the PATCH that held it left it


@router.options("", status_code=204, **openapi.tus_options(MAX_UPLOAD_BYTES, TUS_EXTENSIONS, list(CHECKSUM_ALGORITHMS)))
def options(_: Principal = Depends(require_user)) -> Response:
    return Response(status_code=204, headers={
        **TUS_HEADERS, "Tus-Version": TUS_VERSION, "Tus-Max-Size": str(MAX_UPLOAD_BYTES),
        "Tus-Extension": TUS_EXTENSIONS,
        "Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS)})


@router.post("", status_code=201, **openapi.tus_creation(MAX_UPLOAD_BYTES))
def create(request: Request, who: Principal = Depends(require_user)) -> Response:
    require_tus(request)
    db: Database = request.app.state.db
    length = parse_size(request.headers.get("upload-length"), "Upload-Length")
    if length > MAX_UPLOAD_BYTES:
        raise tus_error(413, "upload_too_large", f"Upload-Length {length} is over the {MAX_UPLOAD_BYTES}-byte limit")
    raw_metadata = request.headers.get("upload-metadata", "")
    meta = parse_metadata(raw_metadata)
    missing = [k for k in ("item_id", "kind", "job_id", "sha256") if not meta.get(k)]
    if missing:
        raise tus_error(400, "invalid_metadata", f"Upload-Metadata lacks {', '.join(missing)}")
    if meta["kind"] not in contract.MEDIA_KINDS:
        raise tus_error(400, "invalid_metadata", f"kind must be one of {', '.join(contract.MEDIA_KINDS)}")
    if not HEX_SHA256.match(meta["sha256"]):
        raise tus_error(400, "invalid_metadata", "sha256 must be the 64 lowercase hex digits of the whole file")
    with db.write() as conn:
        job = visible_job(conn, who, meta["job_id"])
        if others_media(conn, who, meta["item_id"]):
            raise item_id_conflict(meta["item_id"])
        upload_id = new_id("up")
        expires_at = time.time() + request.app.state.upload_ttl
        conn.execute(
            "INSERT INTO uploads (id, tenant_id, user_id, item_id, kind, job_id, filename, sha256, signer_name,"
            " length, state, created_at, expires_at, metadata)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)",
            (upload_id, who.tenant_id, who.user_id, meta["item_id"], meta["kind"], job["id"], meta.get("filename"),
             meta["sha256"], meta.get("signer_name"), length, utc_now(), expires_at, raw_metadata))
    part_path(db, upload_id).touch()
    headers = {**TUS_HEADERS, "Location": f"{UPLOADS_PREFIX}/{upload_id}", "Upload-Expires": expires_header(expires_at)}
    if length == 0:
        # Complete once Upload-Offset equals Upload-Length, which an empty file is at creation; tuspy
        # and tus-js-client send no PATCH for it, and no new upload can be locked by anyone yet.
        upload = db.one("SELECT * FROM uploads WHERE id = ?", (upload_id,))
        headers |= {"Upload-Offset": "0", "Media-Id": finish(db, who, upload)}
    return Response(status_code=201, headers=headers)


@router.head("/{upload_id}", **openapi.tus_head())
async def head(upload_id: str, request: Request, who: Principal = Depends(require_user)) -> Response:
    require_tus(request)
    upload = await live_upload(request, who, upload_id)
    headers = {**TUS_HEADERS, "Upload-Offset": str(current_offset(request.app.state.db, upload)),
               "Upload-Length": str(upload["length"]), "Cache-Control": "no-store",
               "Upload-Expires": expires_header(upload["expires_at"])}
    if upload["metadata"]:
        # creation: "If an upload contains additional metadata, responses to HEAD requests MUST include
        # the Upload-Metadata header and its value as specified by the Client during the creation."
        headers["Upload-Metadata"] = upload["metadata"]
    if upload["media_id"]:
        headers["Media-Id"] = upload["media_id"]
    return Response(status_code=200, headers=headers)


@router.delete("/{upload_id}", status_code=204, **openapi.tus_termination())
async def terminate(upload_id: str, request: Request, who: Principal = Depends(require_user)) -> Response:
    """Termination of an open or a completed upload: its URL is gone (404 from now on), a finished
    upload's media record stays with its job (it is a ledger entry, not part of the upload)."""
    require_tus(request)
    db: Database = request.app.state.db
    find_upload(db, who, upload_id)  # before the lock: another user's request never stops the owner's PATCH
    async with upload_lock(request, upload_id):
        unexpired(db, find_upload(db, who, upload_id))
        with db.write() as conn:
            conn.execute("UPDATE uploads SET state = 'terminated' WHERE id = ?", (upload_id,))
        part_path(db, upload_id).unlink(missing_ok=True)
    return Response(status_code=204, headers=TUS_HEADERS)


def parse_checksum(header: str | None) -> tuple[str, bytes] | None:
    if header is None:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise tus_error(400, "checksum_algorithm_unsupported",
                        f"Upload-Checksum algorithm {algorithm!r} unsupported;"
                        f" use one of {', '.join(CHECKSUM_ALGORITHMS)}")
    try:
        return algorithm, base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        raise tus_error(400, "invalid_header", "Upload-Checksum must be '<algorithm> <base64 digest>'") from None


@router.patch("/{upload_id}", status_code=204, **openapi.tus_patch(list(CHECKSUM_ALGORITHMS)))
async def patch(upload_id: str, request: Request, who: Principal = Depends(require_user)) -> Response:
    require_tus(request)
    db: Database = request.app.state.db
    find_upload(db, who, upload_id)  # before the lock: another user's request never stops the owner's PATCH
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/offset+octet-stream":
        raise tus_error(415, "unsupported_media_type", "PATCH needs 'Content-Type: application/offset+octet-stream'")
    offset = parse_size(request.headers.get("upload-offset"), "Upload-Offset")
    checksum = parse_checksum(request.headers.get("upload-checksum"))
    if db.tenant_bugs(who.tenant_id).get("accept_checksum_mismatch"):
        checksum = None  # the modelled mistake: the header is parsed, never compared
    async with upload_lock(request, upload_id) as stop:
        upload = unexpired(db, find_upload(db, who, upload_id))  # as the previous holder left it
        current = current_offset(db, upload)
        if offset != current:
            raise tus_error(409, "offset_mismatch", f"Upload-Offset is {offset} but the server has {current}"
                            " bytes; send HEAD and resume from there", Upload_Offset=str(current))
        if upload["state"] == "complete":
            return done_response(upload, upload["media_id"])
        new_offset = await receive_chunk(request, db, upload, offset, checksum, stop)
        media_id = finish(db, who, upload) if new_offset == upload["length"] else None
    response = done_response(upload, media_id)
    response.headers["Upload-Offset"] = str(new_offset)
    return response


def done_response(upload: Any, media_id: str | None) -> Response:
    headers = {**TUS_HEADERS, "Upload-Offset": str(upload["length"]),
               "Upload-Expires": expires_header(upload["expires_at"])}
    if media_id:
        headers["Media-Id"] = media_id
    return Response(status_code=204, headers=headers)


async def receive_chunk(request: Request, db: Database, upload: Any, offset: int,
                        checksum: tuple[str, bytes] | None, stop: asyncio.Event) -> int:
    """Append the PATCH body to the part file as it arrives; returns the new offset."""
    room = int(upload["length"]) - offset
    held = bytearray()  # a chunk with a checksum counts only once verified
    received = 0
    with open(part_path(db, upload["id"]), "ab") as part:
        chunks = request.stream()
        try:
            while (chunk := await next_chunk(chunks, stop)) is not None:
                received += len(chunk)
                if received > room:
                    part.truncate(offset)
                    raise tus_error(400, "body_exceeds_length",
                                    f"the PATCH body goes past Upload-Length {upload['length']}")
                if checksum is None:
                    part.write(chunk)
                    part.flush()  # in the OS now: survives SIGKILL of the server
                else:
                    held.extend(chunk)
        except ClientDisconnect:
            held.clear()  # an unverifiable partial chunk is dropped (tus checksum extension)
        if stop.is_set():
            held.clear()  # taken over by a newer PATCH: a partial checksummed chunk is unverifiable
        if checksum is not None and held:
            algorithm, digest = checksum
            if CHECKSUM_ALGORITHMS[algorithm](held).digest() != digest:
                raise tus_error(460, "checksum_mismatch", "the chunk does not match Upload-Checksum; it was"
                                " dropped, resend it", Upload_Offset=str(offset))
            part.write(held)
            part.flush()
        os.fsync(part.fileno())
        return part.tell()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def others_media(conn: Any, who: Principal, item_id: str) -> bool:
    """Whether this item id already names media that another user's upload made.

    Item ids are unique per tenant (one media record each), but only the user who uploaded an item
    may be answered with its media: anyone else's upload of it is a clash, never a replay."""
    return conn.execute(
        "SELECT 1 FROM media m JOIN uploads u ON u.media_id = m.id WHERE m.tenant_id = ? AND m.item_id = ?"
        " AND u.user_id != ? LIMIT 1", (who.tenant_id, item_id, who.user_id)).fetchone() is not None


def item_id_conflict(item_id: str) -> ApiError:
    return tus_error(409, "item_id_conflict", f"item_id {item_id[:100]!r} belongs to media another user already"
                     " uploaded; give every photo and signature its own item_id (a fresh UUID)")


def discard(db: Database, upload: Any, state: str) -> None:
    with db.write() as conn:
        conn.execute("UPDATE uploads SET state = ? WHERE id = ?", (state, upload["id"]))
    part_path(db, upload["id"]).unlink(missing_ok=True)


def finish(db: Database, who: Principal, upload: Any) -> str:
    """The upload is whole: verify it, then make exactly one media record for its item id."""
    part = part_path(db, upload["id"])
    actual = file_sha256(part)
    if actual != upload["sha256"] and not db.tenant_bugs(who.tenant_id).get("accept_checksum_mismatch"):
        discard(db, upload, "discarded")
        raise tus_error(460, "checksum_mismatch", "the uploaded file's sha256 differs from the sha256 in"
                        " Upload-Metadata; the upload was discarded, upload the photo again")
    with db.read() as conn:
        clash = others_media(conn, who, upload["item_id"])
    if clash:  # another user's upload of the same item id finished first
        discard(db, upload, "refused")
        raise item_id_conflict(upload["item_id"])
    existing = db.one("SELECT id FROM media WHERE tenant_id = ? AND item_id = ?", (who.tenant_id, upload["item_id"]))
    if existing is None:
        media_id = new_id("med")
        os.replace(part, media_path(db, media_id))
        fsync_dir(media_path(db, media_id).parent)
        with db.write() as conn:
            conn.execute(
                "INSERT INTO media (id, tenant_id, job_id, item_id, kind, sha256, size, filename, signer_name,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (media_id, who.tenant_id, upload["job_id"], upload["item_id"], upload["kind"], actual,
                 upload["length"], upload["filename"], upload["signer_name"], utc_now()))
            conn.execute("UPDATE uploads SET state = 'complete', media_id = ? WHERE id = ?", (media_id, upload["id"]))
            content = {"job_id": upload["job_id"], "sha256": actual, "filename": upload["filename"],
                       "signer_name": upload["signer_name"], "size": upload["length"], "upload_id": upload["id"]}
            mutations.record(conn, who, upload["kind"], upload["item_id"], f"tus:{upload['id']}", upload["job_id"],
                             {"sha256": actual}, content)
        return media_id
    with db.write() as conn:  # a re-upload of an item that already has its record: link, never duplicate
        conn.execute("UPDATE uploads SET state = 'complete', media_id = ? WHERE id = ?", (existing["id"], upload["id"]))
    part.unlink(missing_ok=True)
    return existing["id"]
