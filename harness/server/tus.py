"""tus 1.0 uploads (core, creation, checksum, termination, expiration) for photos and signatures.

Hand-written: asgi-tus needs Python >= 3.12 and buffers each PATCH body in memory (a cut loses it),
fastapi-tusd never verifies Upload-Checksum, tuspyserver has no checksum extension, and none can
dedupe a completed upload on the client's item id inside our database transaction.

The offset *is* the size of the upload's part file: every chunk is written to the OS as it arrives
(so SIGKILL of the server keeps it), a chunk with an Upload-Checksum is held back until verified.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import os
import re
import time
from email.utils import formatdate
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.requests import ClientDisconnect

from harness.core import contract
from harness.core.files import fsync_dir
from harness.server import mutations
from harness.server.auth import TECHNICIAN, Principal, require_user, visible_job
from harness.server.db import Database, new_id, utc_now
from harness.server.errors import ApiError
from harness.server.upload_locks import UploadBusy, next_chunk

TUS_VERSION = "1.0.0"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
CHECKSUM_ALGORITHMS = {"sha1": hashlib.sha1, "md5": hashlib.md5, "sha256": hashlib.sha256}
TUS_HEADERS = {"Tus-Resumable": TUS_VERSION}
HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")

router = APIRouter(prefix="/v1/uploads", tags=["uploads (tus 1.0)"])


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
            raise tus_error(400, "invalid_metadata", f"Upload-Metadata value of {key!r} is not base64 of UTF-8") from None
    return metadata


def parse_offset(value: str | None, header: str) -> int:
    if value is None or not value.isdigit():
        raise tus_error(400, "invalid_header", f"{header} must be a non-negative integer, got {value!r}")
    return int(value)


def expires_header(expires_at: float) -> str:
    return formatdate(expires_at, usegmt=True)


def load_upload(request: Request, who: Principal, upload_id: str) -> Any:
    db: Database = request.app.state.db
    upload = db.one("SELECT * FROM uploads WHERE id = ? AND tenant_id = ?", (upload_id, who.tenant_id))
    if upload is None or upload["state"] == "terminated" or (
            who.role == TECHNICIAN and upload["user_id"] != who.user_id):
        raise tus_error(404, "upload_not_found", f"no upload {upload_id!r} for this user; create one with POST /v1/uploads")
    if upload["state"] == "discarded":
        raise tus_error(410, "upload_discarded", "this upload failed its checksum and was discarded; upload again")
    if upload["state"] == "open" and upload["expires_at"] < time.time():
        part_path(db, upload_id).unlink(missing_ok=True)
        raise tus_error(410, "upload_expired", "this upload expired; create a new one")
    return upload


@router.options("", status_code=204)
def options(_: Principal = Depends(require_user)) -> Response:
    return Response(status_code=204, headers={
        **TUS_HEADERS, "Tus-Version": TUS_VERSION, "Tus-Max-Size": str(MAX_UPLOAD_BYTES),
        "Tus-Extension": "creation,checksum,termination,expiration",
        "Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS)})


@router.post("", status_code=201)
def create(request: Request, who: Principal = Depends(require_user)) -> Response:
    require_tus(request)
    db: Database = request.app.state.db
    length = parse_offset(request.headers.get("upload-length"), "Upload-Length")
    if length > MAX_UPLOAD_BYTES:
        raise tus_error(413, "upload_too_large", f"Upload-Length {length} is over the {MAX_UPLOAD_BYTES}-byte limit")
    meta = parse_metadata(request.headers.get("upload-metadata", ""))
    missing = [k for k in ("item_id", "kind", "job_id", "sha256") if not meta.get(k)]
    if missing:
        raise tus_error(400, "invalid_metadata", f"Upload-Metadata lacks {', '.join(missing)}")
    if meta["kind"] not in contract.MEDIA_KINDS:
        raise tus_error(400, "invalid_metadata", f"kind must be one of {', '.join(contract.MEDIA_KINDS)}")
    if not HEX_SHA256.match(meta["sha256"]):
        raise tus_error(400, "invalid_metadata", "sha256 must be the 64 lowercase hex digits of the whole file")
    with db.write() as conn:
        job = visible_job(conn, who, meta["job_id"])
        upload_id = new_id("up")
        expires_at = time.time() + request.app.state.upload_ttl
        conn.execute(
            "INSERT INTO uploads (id, tenant_id, user_id, item_id, kind, job_id, filename, sha256, signer_name,"
            " length, state, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
            (upload_id, who.tenant_id, who.user_id, meta["item_id"], meta["kind"], job["id"], meta.get("filename"),
             meta["sha256"], meta.get("signer_name"), length, utc_now(), expires_at))
    part_path(db, upload_id).touch()
    return Response(status_code=201, headers={**TUS_HEADERS, "Location": f"/v1/uploads/{upload_id}",
                                              "Upload-Expires": expires_header(expires_at)})


@router.head("/{upload_id}")
def head(upload_id: str, request: Request, who: Principal = Depends(require_user)) -> Response:
    require_tus(request)
    upload = load_upload(request, who, upload_id)
    headers = {**TUS_HEADERS, "Upload-Offset": str(current_offset(request.app.state.db, upload)),
               "Upload-Length": str(upload["length"]), "Cache-Control": "no-store",
               "Upload-Expires": expires_header(upload["expires_at"])}
    if upload["media_id"]:
        headers["Media-Id"] = upload["media_id"]
    return Response(status_code=200, headers=headers)


@router.delete("/{upload_id}", status_code=204)
def terminate(upload_id: str, request: Request, who: Principal = Depends(require_user)) -> Response:
    require_tus(request)
    load_upload(request, who, upload_id)
    db: Database = request.app.state.db
    with db.write() as conn:
        conn.execute("UPDATE uploads SET state = 'terminated' WHERE id = ? AND state = 'open'", (upload_id,))
    part_path(db, upload_id).unlink(missing_ok=True)
    return Response(status_code=204, headers=TUS_HEADERS)


def parse_checksum(header: str | None) -> tuple[str, bytes] | None:
    if header is None:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise tus_error(400, "checksum_algorithm_unsupported",
                        f"Upload-Checksum algorithm {algorithm!r} unsupported; use one of {', '.join(CHECKSUM_ALGORITHMS)}")
    try:
        return algorithm, base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        raise tus_error(400, "invalid_header", "Upload-Checksum must be '<algorithm> <base64 digest>'") from None


@router.patch("/{upload_id}", status_code=204)
async def patch(upload_id: str, request: Request, who: Principal = Depends(require_user)) -> Response:
    require_tus(request)
    db: Database = request.app.state.db
    load_upload(request, who, upload_id)
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/offset+octet-stream":
        raise tus_error(415, "unsupported_media_type", "PATCH needs 'Content-Type: application/offset+octet-stream'")
    offset = parse_offset(request.headers.get("upload-offset"), "Upload-Offset")
    checksum = parse_checksum(request.headers.get("upload-checksum"))
    if db.tenant_bugs(who.tenant_id).get("accept_checksum_mismatch"):
        checksum = None  # the modelled mistake: the header is parsed, never compared
    try:
        async with request.app.state.upload_locks.hold(upload_id) as stop:
            upload = load_upload(request, who, upload_id)  # as the previous holder left it
            current = current_offset(db, upload)
            if offset != current:
                raise tus_error(409, "offset_mismatch", f"Upload-Offset is {offset} but the server has {current}"
                                " bytes; send HEAD and resume from there", Upload_Offset=str(current))
            if upload["state"] == "complete":
                return done_response(upload, upload["media_id"])
            new_offset = await receive_chunk(request, db, upload, offset, checksum, stop)
            media_id = finish(request, db, who, upload) if new_offset == upload["length"] else None
    except UploadBusy:
        raise tus_error(423, "upload_locked", "another PATCH of this upload is still running; retry shortly") from None
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


def finish(request: Request, db: Database, who: Principal, upload: Any) -> str:
    """The upload is whole: verify it, then make exactly one media record for its item id."""
    part = part_path(db, upload["id"])
    actual = file_sha256(part)
    if actual != upload["sha256"] and not db.tenant_bugs(who.tenant_id).get("accept_checksum_mismatch"):
        with db.write() as conn:
            conn.execute("UPDATE uploads SET state = 'discarded' WHERE id = ?", (upload["id"],))
        part.unlink(missing_ok=True)
        raise tus_error(460, "checksum_mismatch", "the uploaded file's sha256 differs from the sha256 in"
                        " Upload-Metadata; the upload was discarded, upload the photo again")
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
