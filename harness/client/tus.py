"""A tus 1.0 client (core, creation, checksum) on httpx that streams chunks from disk.

Hand-written rather than tuspy/aiotus: those speak requests/aiohttp, so our counting transport,
respx tests and attempt history would not see their traffic, and the upload URL must live in our
own SQLite outbox (not their URL storage) for a resume to survive an app restart.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from harness.client.retry import error_code, is_retryable_status, parse_retry_after
from harness.client.sender import Sender
from harness.client.store import Store

TUS_VERSION = "1.0.0"
READ_PIECE = 64 * 1024  # what is held in memory at once while streaming a chunk
MIN_CHUNK = 64 * 1024
DEFAULT_CHUNK = 128 * 1024  # a cut (checksummed chunks are all-or-nothing) wastes at most this; few round trips
GROW_AFTER = 16  # clean chunks in a row before the chunk size doubles again
MAX_OFFSET_RESYNCS = 3


@dataclass
class UploadStep:
    """How an upload call ended: ``done``, ``failed`` (a refusal) or ``retry`` (try again later)."""

    state: str
    status: int | None = None
    error: str | None = None
    retry_after: float | None = None
    media_id: str | None = None


def encode_metadata(metadata: dict[str, Any]) -> str:
    return ",".join(
        f"{key} {base64.b64encode(str(value).encode()).decode()}"
        for key, value in metadata.items()
        if value is not None
    )


def chunk_checksum(path: str, start: int, length: int) -> str:
    digest = hashlib.sha1()
    for piece in read_range(path, start, length):
        digest.update(piece)
    return "sha1 " + base64.b64encode(digest.digest()).decode()


def read_range(path: str, start: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            piece = handle.read(min(READ_PIECE, remaining))
            if not piece:
                return
            remaining -= len(piece)
            yield piece


async def stream_range(path: str, start: int, length: int) -> AsyncIterator[bytes]:
    for piece in read_range(path, start, length):
        yield piece


def path_of(location: str) -> str:
    """Keep only the path of a Location, so resumes go through our base URL (and the proxy)."""
    return httpx.URL(location).raw_path.decode()


def _refusal(response: httpx.Response) -> UploadStep:
    state = "retry" if is_retryable_status(response.status_code, error_code(response)) else "failed"
    return UploadStep(
        state, response.status_code, response.text[:300], parse_retry_after(response.headers.get("Retry-After"))
    )


class TusUploader:
    def __init__(self, sender: Sender, store: Store, *, base_path: str = "/v1/uploads",
                 chunk_size: int = DEFAULT_CHUNK, restart_from_zero: bool = False) -> None:
        self.sender, self.store = sender, store
        self.base_path, self.max_chunk = base_path, chunk_size
        # A server verifying Upload-Checksum drops a chunk cut part-way, so after a cut the chunk
        # size drops to MIN_CHUNK to bound what the next cut wastes; it doubles back slowly.
        self.chunk_size = chunk_size
        self.clean_chunks = 0
        self.restart_from_zero = restart_from_zero
        self.progressed = False  # a chunk moved an upload's offset forward since the engine last reset this

    async def upload(self, item: dict[str, Any]) -> UploadStep:
        """Upload (or resume) one media item. Transport errors propagate to the sync engine."""
        url = None if self.restart_from_zero else item.get("upload_url")  # seeded bug: never ask where it got to
        resyncs = 0
        while True:
            step, url = await self._round(item, url)
            if step is None:
                continue  # the upload expired or was terminated: start a new one
            if step.state != "resync":
                return step
            resyncs += 1
            if resyncs > MAX_OFFSET_RESYNCS:
                return UploadStep("retry", step.status, step.error)

    async def _round(self, item: dict[str, Any], url: str | None) -> tuple[UploadStep | None, str | None]:
        """Create the upload (no ``url``) or ask its offset, then send the rest: the step and the upload's URL.

        The step is None when the server no longer knows the upload; ``resync`` when the offsets disagree.
        """
        items = [(item["item_id"], None)]
        size = int(item["media_size"])
        if url is None:
            response, _ = await self.sender.send(
                "tus_create", "POST", self.base_path, items,
                headers={"Tus-Resumable": TUS_VERSION, "Upload-Length": str(size),
                         "Upload-Metadata": encode_metadata(item["metadata"])},
            )
            if response.status_code != 201 or "Location" not in response.headers:
                return _refusal(response), None
            url = path_of(response.headers["Location"])
            self.store.set_upload_url(item["item_id"], url)
            offset = 0
        else:
            response, _ = await self.sender.send("tus_head", "HEAD", url, items, headers={"Tus-Resumable": TUS_VERSION})
            if response.status_code in (404, 410):
                self.store.set_upload_url(item["item_id"], None)
                return None, None
            if response.status_code != 200:
                return _refusal(response), url
            offset = int(response.headers["Upload-Offset"])
            if offset >= size and response.headers.get("Media-Id"):
                return UploadStep("done", 200, media_id=response.headers["Media-Id"]), url
            if offset >= size:
                # Every byte arrived but the server died before it made the media record:
                # an empty PATCH at the end offset asks it to finish (docs/PROTOCOL.md).
                return await self._finish(item, url, size), url
        step = await self._patch_from(item, url, offset, size)
        if step.state == "resync" and step.status in (404, 410):
            self.store.set_upload_url(item["item_id"], None)
            return step, None
        return step, url

    async def _finish(self, item: dict[str, Any], url: str, size: int) -> UploadStep:
        response, _ = await self.sender.send(
            "tus_patch", "PATCH", url, [(item["item_id"], None)],
            headers={"Tus-Resumable": TUS_VERSION, "Content-Type": "application/offset+octet-stream",
                     "Upload-Offset": str(size), "Content-Length": "0"},
            content=b"",
        )
        if response.status_code == 204 and response.headers.get("Media-Id"):
            return UploadStep("done", 204, media_id=response.headers["Media-Id"])
        if response.status_code == 460:  # the whole file failed its sha256: discarded, start again
            self.store.set_upload_url(item["item_id"], None)
            return UploadStep("retry", 460, response.text[:300])
        if response.status_code in (204, 409, 404, 410):
            return UploadStep("resync", response.status_code, response.text[:300])
        return _refusal(response)

    async def _patch_from(self, item: dict[str, Any], url: str, offset: int, size: int) -> UploadStep:
        path = item["media_path"]
        items = [(item["item_id"], None)]
        while offset < size:
            length = min(self.chunk_size, size - offset)
            try:
                response, _ = await self.sender.send(
                    "tus_patch", "PATCH", url, items,
                    headers={
                        "Tus-Resumable": TUS_VERSION,
                        "Content-Type": "application/offset+octet-stream",
                        "Upload-Offset": str(offset),
                        "Upload-Checksum": chunk_checksum(path, offset, length),
                        "Content-Length": str(length),
                    },
                    content=stream_range(path, offset, length),
                )
            except httpx.HTTPError:
                self.chunk_size = min(MIN_CHUNK, self.max_chunk)
                self.clean_chunks = 0
                raise
            self.clean_chunks += 1
            if self.clean_chunks >= GROW_AFTER:
                self.chunk_size, self.clean_chunks = min(self.max_chunk, self.chunk_size * 2), 0
            if response.status_code in (409, 404, 410):
                return UploadStep("resync", response.status_code, response.text[:300])
            if response.status_code == 460 and offset + length < size:
                return UploadStep("resync", 460, response.text[:300])  # chunk dropped: ask again
            if response.status_code == 460:
                # the whole file failed its sha256 on completion and the upload was discarded
                self.store.set_upload_url(item["item_id"], None)
                return UploadStep("retry", 460, response.text[:300])
            if response.status_code != 204:
                return _refusal(response)
            new_offset = int(response.headers.get("Upload-Offset", offset + length))
            self.progressed = self.progressed or new_offset > offset
            offset = new_offset
            if offset >= size:
                return UploadStep("done", 204, media_id=response.headers.get("Media-Id"))
        return UploadStep("done", 204)
