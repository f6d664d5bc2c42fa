"""A tiny in-memory tus 1.0 server for respx, able to cut a PATCH after N bytes (kept, like ours)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

import httpx
import respx


@dataclass
class Upload:
    length: int
    metadata: dict[str, str]
    data: bytearray = field(default_factory=bytearray)


class FakeTus:
    def __init__(self, router: respx.MockRouter) -> None:
        self.uploads: dict[str, Upload] = {}
        self.cuts: list[int] = []  # absolute offsets at which the next PATCHes are cut
        self.patches: list[tuple[int, int]] = []  # (Upload-Offset, bytes in body) per PATCH
        self.heads = 0
        self.die_before_record = False  # the next completing PATCH stores its bytes, then the server dies
        self.records: dict[str, str] = {}  # upload id -> media id, once the media record exists
        router.post("/v1/uploads").mock(side_effect=self.create)
        router.route(method="HEAD", path__startswith="/v1/uploads/").mock(side_effect=self.head)
        router.route(method="PATCH", path__startswith="/v1/uploads/").mock(side_effect=self.patch)

    def create(self, request: httpx.Request) -> httpx.Response:
        metadata = {}
        for pair in request.headers["Upload-Metadata"].split(","):
            key, value = pair.split(" ")
            metadata[key] = base64.b64decode(value).decode()
        upload_id = f"u{len(self.uploads) + 1}"
        self.uploads[upload_id] = Upload(int(request.headers["Upload-Length"]), metadata)
        return httpx.Response(201, headers={"Location": f"http://elsewhere:9/v1/uploads/{upload_id}"})

    def _upload(self, request: httpx.Request) -> Upload:
        return self.uploads[request.url.path.rsplit("/", 1)[1]]

    def head(self, request: httpx.Request) -> httpx.Response:
        self.heads += 1
        upload = self._upload(request)
        headers = {"Upload-Offset": str(len(upload.data)), "Upload-Length": str(upload.length)}
        if self._id(request) in self.records:
            headers["Media-Id"] = self.records[self._id(request)]
        return httpx.Response(200, headers=headers)

    def _id(self, request: httpx.Request) -> str:
        return request.url.path.rsplit("/", 1)[1]

    def _finish(self, request: httpx.Request, upload: Upload) -> httpx.Response:
        assert hashlib.sha256(upload.data).hexdigest() == upload.metadata["sha256"]
        media_id = self.records.setdefault(self._id(request), "m-" + upload.metadata["item_id"])
        return httpx.Response(204, headers={"Upload-Offset": str(len(upload.data)), "Media-Id": media_id})

    def patch(self, request: httpx.Request) -> httpx.Response:
        upload = self._upload(request)
        offset = int(request.headers["Upload-Offset"])
        body = request.content
        self.patches.append((offset, len(body)))
        if offset != len(upload.data):
            return httpx.Response(409, json={"error": {"code": "offset_mismatch", "message": "HEAD first"}})
        if not body and offset == upload.length:
            return self._finish(request, upload)  # an empty PATCH at the end asks for the record
        algo, digest = request.headers["Upload-Checksum"].split(" ")
        if algo != "sha1" or base64.b64decode(digest) != hashlib.sha1(body).digest():
            return httpx.Response(460, json={"error": {"code": "checksum_mismatch", "message": "chunk"}})
        if self.cuts and offset < self.cuts[0] < offset + len(body):
            cut = self.cuts.pop(0)
            upload.data += body[: cut - offset]
            raise httpx.RemoteProtocolError("peer closed connection mid-body", request=request)
        upload.data += body
        if len(upload.data) == upload.length:
            if self.die_before_record:
                self.die_before_record = False
                raise httpx.RemoteProtocolError("server killed before the media record", request=request)
            return self._finish(request, upload)
        return httpx.Response(204, headers={"Upload-Offset": str(len(upload.data))})

    def bytes_patched(self) -> int:
        return sum(size for _, size in self.patches)
