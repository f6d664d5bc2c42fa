"""Each seeded bug is off by default and, when switched on, behaves like the mistake it models."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import uuid

import httpx
import pytest

from harness.server.bugs import BUGS

from .support import Seed, committed, create_upload, item, mutate, patch


def kinds(seed: Seed, kind: str) -> list[dict]:
    return [m for m in seed.ledger()["mutations"] if m["kind"] == kind]


@pytest.mark.parametrize(("bug_on", "expected_notes"), [(False, 1), (True, 2)])
def test_ignore_idempotency_key_applies_a_retry_again(seed: Seed, bug_on: bool, expected_notes: int) -> None:
    seed.bugs(ignore_idempotency_key=bug_on)
    body, key = item(text="retried"), str(uuid.uuid4())
    mutate(seed.tech, f"/v1/jobs/{seed.job_id}/notes", body, key)
    mutate(seed.tech, f"/v1/jobs/{seed.job_id}/notes", body, key)
    assert len(kinds(seed, "note")) == expected_notes


@pytest.mark.parametrize(("bug_on", "expected_notes"), [(False, 1), (True, 2)])
async def test_commit_before_dedupe_duplicates_a_concurrent_retry(seed: Seed, bug_on: bool,
                                                                  expected_notes: int) -> None:
    seed.bugs(commit_before_dedupe=bug_on)
    seed.fault(route="POST /v1/jobs/{job_id}/notes", action="delay", seconds=2.0, count=1)
    body, key = item(text="in flight"), str(uuid.uuid4())
    headers = {**seed.tech.headers, "Idempotency-Key": key}
    async with httpx.AsyncClient(base_url=seed.url, headers=headers, timeout=10) as client:
        first = asyncio.create_task(client.post(f"/v1/jobs/{seed.job_id}/notes", json=body))
        await committed(seed, "note", 1)  # the first attempt committed and is still in flight
        await client.post(f"/v1/jobs/{seed.job_id}/notes", json=body)  # the client's retry after a timeout
        await asyncio.wait_for(first, 10)
    assert len(kinds(seed, "note")) == expected_notes


@pytest.mark.parametrize(("bug_on", "expected_notes"), [(False, 1), (True, 2)])
async def test_commit_before_dedupe_duplicates_a_batch_retried_while_the_first_is_held(
        seed: Seed, bug_on: bool, expected_notes: int) -> None:
    seed.bugs(commit_before_dedupe=bug_on)
    seed.fault(route="POST /v1/batch", action="delay", seconds=2.0, count=1)
    batch = {"items": [{"key": "k1", "path": f"/v1/jobs/{seed.job_id}/notes", "body": item(text="batched")}]}
    async with httpx.AsyncClient(base_url=seed.url, headers=seed.tech.headers, timeout=10) as client:
        first = asyncio.create_task(client.post("/v1/batch", json=batch))
        await committed(seed, "note", 1)  # the batch committed its item and holds its answer
        await client.post("/v1/batch", json=batch)  # the device's retry after its request was cut
        await asyncio.wait_for(first, 10)
    assert len(kinds(seed, "note")) == expected_notes


def test_commit_before_dedupe_still_replays_a_sequential_retry(seed: Seed) -> None:
    seed.bugs(commit_before_dedupe=True)
    body, key = item(text="sequential"), str(uuid.uuid4())
    mutate(seed.tech, f"/v1/jobs/{seed.job_id}/notes", body, key)
    assert mutate(seed.tech, f"/v1/jobs/{seed.job_id}/notes", body, key).headers["Idempotent-Replayed"] == "true"
    assert len(kinds(seed, "note")) == 1


@pytest.mark.parametrize("bug_on", [False, True])
def test_accept_checksum_mismatch_turns_a_corrupt_upload_into_a_photo(seed: Seed, bug_on: bool) -> None:
    seed.bugs(accept_checksum_mismatch=bug_on)
    intended, received = os.urandom(4000), os.urandom(4000)
    location = create_upload(seed.tech, seed.job_id, received, sha256=hashlib.sha256(intended).hexdigest())
    response = patch(seed.tech, location, 0, received)
    photos = kinds(seed, "photo")
    if bug_on:
        assert response.status_code == 204
        assert [p["content_hash"] for p in photos] == [hashlib.sha256(received).hexdigest()]
    else:
        assert response.status_code == 460 and photos == []


@pytest.mark.parametrize("bug_on", [False, True])
def test_accept_checksum_mismatch_stores_a_chunk_flipped_on_the_way(seed: Seed, bug_on: bool) -> None:
    seed.bugs(accept_checksum_mismatch=bug_on)
    sent = os.urandom(4000)
    flipped = sent[:2000] + bytes([sent[2000] ^ 0xFF]) + sent[2001:]
    location = create_upload(seed.tech, seed.job_id, sent)
    checksum = "sha1 " + base64.b64encode(hashlib.sha1(sent).digest()).decode()  # computed before the flip
    response = patch(seed.tech, location, 0, flipped, **{"Upload-Checksum": checksum})
    photos = kinds(seed, "photo")
    if bug_on:
        assert response.status_code == 204
        assert [p["content_hash"] for p in photos] == [hashlib.sha256(flipped).hexdigest()]
    else:
        assert response.status_code == 460 and response.json()["error"]["code"] == "checksum_mismatch"
        assert photos == []


@pytest.mark.parametrize(("bug_on", "expected_emails"), [(False, 1), (True, 3)])
def test_email_per_retry_emails_again_on_each_replayed_send(seed: Seed, bug_on: bool, expected_emails: int) -> None:
    seed.bugs(email_per_retry=bug_on)
    body = item(doc_type="estimate")
    for _ in range(3):
        assert mutate(seed.tech, f"/v1/jobs/{seed.job_id}/documents", body, "doc").status_code == 201
    assert len(seed.ledger()["emails"]) == expected_emails
    assert len(kinds(seed, "document_send")) == 1


def test_bugs_are_off_by_default_and_unknown_names_refused(seed: Seed) -> None:
    listed = seed.admin.get("/admin/bugs").json()["bugs"]
    assert {b["name"] for b in listed} == set(BUGS)
    response = seed.admin.put(f"/admin/tenants/{seed.tenant_id}/bugs", json={"no_such_bug": True})
    assert response.status_code == 422 and response.json()["error"]["code"] == "unknown_bug"
