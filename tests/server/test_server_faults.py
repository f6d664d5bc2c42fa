"""Fault hooks: error statuses with Retry-After, delays, and commit-then-drop; scoped to tenant and route."""

from __future__ import annotations

import os
import uuid

import httpx
import pytest

from harness.server.running import InProcessServer

from .support import Seed, create_upload, item, make_seed, mutate, patch


def notes(seed: Seed) -> list[dict]:
    return [m for m in seed.ledger()["mutations"] if m["kind"] == "note"]


def test_status_fault_answers_the_next_n_requests_of_the_route_with_retry_after(seed: Seed) -> None:
    seed.fault(route="POST /v1/batch", action="status", status=503, retry_after=2, count=2)
    batch = {"items": [{"key": "k1", "path": f"/v1/jobs/{seed.job_id}/notes", "body": item(text="x")}]}
    refused = [seed.tech.post("/v1/batch", json=batch) for _ in range(2)]
    assert [r.status_code for r in refused] == [503, 503]
    assert refused[0].headers["Retry-After"] == "2"
    assert refused[0].json()["error"]["code"] == "injected_fault"
    assert notes(seed) == []
    assert seed.tech.post("/v1/batch", json=batch).status_code == 200
    assert len(notes(seed)) == 1


def test_status_fault_matches_only_its_route(seed: Seed) -> None:
    seed.fault(route="POST /v1/jobs/{job_id}/notes", action="status", status=429, retry_after=1, count=1)
    assert mutate(seed.tech, "/v1/gps", item(lat=1.0, lon=2.0)).status_code == 201
    assert mutate(seed.tech, f"/v1/jobs/{seed.job_id}/notes", item(text="x")).status_code == 429
    assert mutate(seed.tech, f"/v1/jobs/{seed.job_id}/notes", item(text="x")).status_code == 201


def test_faults_are_scoped_to_their_tenant(server: InProcessServer, seed: Seed) -> None:
    seed.fault(route="*", action="status", status=500)
    other = make_seed(server.url, server.admin_token)
    assert other.tech.get(f"/v1/jobs/{other.job_id}").status_code == 200
    assert seed.tech.get(f"/v1/jobs/{seed.job_id}").status_code == 500
    seed.admin.delete(f"/admin/tenants/{seed.tenant_id}/faults").raise_for_status()
    assert seed.tech.get(f"/v1/jobs/{seed.job_id}").status_code == 200


def test_delay_fault_delays_a_read_past_a_client_timeout(seed: Seed) -> None:
    seed.fault(route="GET /v1/jobs/{job_id}", action="delay", seconds=1.0, count=1)
    with pytest.raises(httpx.ReadTimeout):
        seed.tech.get(f"/v1/jobs/{seed.job_id}", timeout=0.3)
    assert seed.tech.get(f"/v1/jobs/{seed.job_id}", timeout=0.3).status_code == 200


def test_commit_then_fail_drops_the_connection_after_committing(seed: Seed) -> None:
    seed.fault(route="POST /v1/jobs/{job_id}/notes", action="commit_then_fail", count=1)
    body, key = item(text="committed but unanswered"), str(uuid.uuid4())
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        mutate(seed.tech, f"/v1/jobs/{seed.job_id}/notes", body, key)
    assert len(notes(seed)) == 1
    retry = mutate(seed.tech, f"/v1/jobs/{seed.job_id}/notes", body, key)
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert len(notes(seed)) == 1


def test_commit_then_fail_on_a_batch_applies_every_item_and_the_retry_replays_them(seed: Seed) -> None:
    seed.fault(route="POST /v1/batch", action="commit_then_fail", count=1)
    batch = {"items": [{"key": f"k{i}", "path": f"/v1/jobs/{seed.job_id}/notes", "body": item(text=f"n{i}")}
                       for i in range(10)]}
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        seed.tech.post("/v1/batch", json=batch)
    assert len(notes(seed)) == 10
    retry = seed.tech.post("/v1/batch", json=batch).json()["results"]
    assert all(r["replayed"] for r in retry) and len(notes(seed)) == 10


def test_commit_then_fail_on_the_last_patch_still_creates_one_photo(seed: Seed) -> None:
    data = os.urandom(5000)
    location = create_upload(seed.tech, seed.job_id, data)
    seed.fault(route="PATCH /v1/uploads/{upload_id}", action="commit_then_fail", count=1)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        patch(seed.tech, location, 0, data)
    again = patch(seed.tech, location, len(data), b"")
    assert again.status_code == 204 and "Media-Id" in again.headers
    assert [m["kind"] for m in seed.ledger()["mutations"]] == ["photo"]


@pytest.mark.parametrize("fault", [
    {"route": "POST /v1/batch", "action": "explode"},
    {"route": "nonsense", "action": "status"},
    {"route": "*", "action": "status", "status": 404},
    {"route": "*", "action": "delay", "seconds": -1},
    {"route": "*", "action": "status", "count": "many"},
])
def test_bad_fault_definitions_are_422(seed: Seed, fault: dict) -> None:
    response = seed.admin.post(f"/admin/tenants/{seed.tenant_id}/faults", json=fault)
    assert response.status_code == 422 and response.json()["error"]["code"] == "validation_error"
    assert seed.admin.get(f"/admin/tenants/{seed.tenant_id}/faults").json()["faults"] == []
