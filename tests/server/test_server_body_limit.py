"""The 4 MiB JSON limit holds on the bytes read, not only on Content-Length: a chunked body too.

Through the real uvicorn server; httpx sends a generator body with ``Transfer-Encoding: chunked``
and no Content-Length, as a streaming client does.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx

from harness.server.app import MAX_JSON_BODY

from .support import Seed, item

MIB = 1024 * 1024


def chunked(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


def post_chunked(c: httpx.Client, path: str, data: bytes, **headers: str) -> httpx.Response:
    response = c.post(path, content=chunked(data), headers={"Content-Type": "application/json", **headers})
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    return response


def assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "payload_too_large" and str(MAX_JSON_BODY) in error["message"]


def test_chunked_note_over_the_limit_is_413_and_stores_nothing(seed: Seed) -> None:
    note = json.dumps(item(text="x" * (10 * MIB))).encode()
    response = post_chunked(seed.tech, f"/v1/jobs/{seed.job_id}/notes", note, **{"Idempotency-Key": "big-note"})
    assert_too_large(response)
    assert seed.ledger()["mutations"] == []


def test_chunked_batch_over_the_limit_is_413_and_applies_none_of_its_items(seed: Seed) -> None:
    padding = "p" * (20 * 1024)  # ignored by the server (unknown field), counted by the limit
    items = [{"key": str(uuid.uuid4()), "path": "/v1/gps", "body": {**item(lat=1.0, lon=2.0), "pad": padding}}
             for _ in range(500)]
    batch = json.dumps({"items": items}).encode()
    assert len(batch) > 2 * MAX_JSON_BODY
    assert_too_large(post_chunked(seed.tech, "/v1/batch", batch))
    assert seed.ledger()["mutations"] == []


def test_chunked_batch_just_under_the_limit_is_applied(seed: Seed) -> None:
    body = item(text="y" * 10_000)
    items = [{"key": str(uuid.uuid4()), "path": f"/v1/jobs/{seed.job_id}/notes", "body": {**body, "item_id": str(i)}}
             for i in range(300)]
    batch = json.dumps({"items": items}).encode()
    assert 2 * MIB < len(batch) <= MAX_JSON_BODY
    response = post_chunked(seed.tech, "/v1/batch", batch)
    assert response.status_code == 200 and {r["status"] for r in response.json()["results"]} == {201}


def test_chunked_admin_body_over_the_limit_is_413(seed: Seed) -> None:
    body = json.dumps({"name": "n" * (MAX_JSON_BODY + 1)}).encode()
    assert_too_large(post_chunked(seed.admin, "/admin/tenants", body))
