"""Waits for events on the backend's side: a delay fault holding an answer, an upload's offset.

The backend is the reference server behind its BackendAdapter (harness/runner/reference_backend.py),
so these tests check what the runner relies on: the event is observed while it lasts, a hold until
``retried`` is let go by the retry of the same device, a missed deadline is a clear failure.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.runner import RunOptions, run_scenarios
from harness.runner.adapters import FaultHolding, UploadReached
from harness.runner.reference_backend import ReferenceBackend
from harness.runner.world import World
from harness.scenarios import ScenarioError, load_scenario, parse_scenario
from harness.scenarios.model import Job, WaitStep

from .scenario_texts import write

HELD_S = 60.0  # a hold's cap far beyond every deadline below: only a retry can end it in time
PHOTO = bytes(range(256)) * 400  # 102400 bytes


@dataclass
class Backend:
    adapter: ReferenceBackend
    world: World

    def device(self, technician: str) -> httpx.AsyncClient:
        token = self.world.technicians[technician].token
        return httpx.AsyncClient(base_url=self.adapter.url, headers={"Authorization": f"Bearer {token}"},
                                 timeout=HELD_S + 10)

    def admin(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.adapter.url,
                                 headers={"Authorization": f"Bearer {self.adapter.admin_token}"})

    async def notes(self) -> list[dict[str, Any]]:
        return [m for m in (await self.world.ledger())["mutations"] if m["kind"] == "note"]


@pytest.fixture
async def backend(tmp_path: Path) -> AsyncIterator[Backend]:
    adapter = await ReferenceBackend.in_process(tmp_path / "server.db")
    world = await World.create(adapter, "waits", ("alice", "bob"), seed=3)
    await world.add_jobs([Job("job1", "alice"), Job("job2", "bob")])
    try:
        yield Backend(adapter, world)
    finally:
        await adapter.close()


async def hold_next_batch(backend: Backend) -> None:
    await backend.adapter.add_fault(backend.world.tenant_id, {"route": "POST /v1/batch", "action": "delay",
                                                              "seconds": HELD_S, "count": 1, "until": "retried"})


def note_batch(job_id: str, key: str) -> dict[str, Any]:
    body = {"item_id": key, "text": "Compressor replaced", "at": "2026-11-25T09:00:00Z"}
    return {"items": [{"key": key, "path": f"/v1/jobs/{job_id}/notes", "body": body}]}


async def test_fault_holding_is_seen_after_the_commit_and_the_retry_lets_the_first_attempt_go(backend: Backend) -> None:
    tenant = backend.world.tenant_id
    nothing = await backend.adapter.wait_for(tenant, FaultHolding(), 0.05)
    assert not nothing.reached and nothing.seen == {"holding": 0, "holds_begun": 0}
    await hold_next_batch(backend)
    batch = note_batch(backend.world.job_id("job1"), str(uuid.uuid4()))
    async with backend.device("alice") as alice:
        first = asyncio.ensure_future(alice.post("/v1/batch", json=batch))
        held = await backend.adapter.wait_for(tenant, FaultHolding(), 10)
        assert held.reached and held.seen == {"holding": 1, "holds_begun": 1}
        assert len(await backend.notes()) == 1  # committed before the hold began
        assert not first.done()
        retry = await alice.post("/v1/batch", json=batch)
        assert retry.json()["results"][0]["status"] == 409  # the key is still in flight
        answered = await asyncio.wait_for(first, 10)  # let go by the retry, long before its cap
    assert answered.json()["results"][0]["status"] == 201
    assert len(await backend.notes()) == 1


async def test_a_hold_until_retried_is_not_let_go_by_another_device(backend: Backend) -> None:
    tenant = backend.world.tenant_id
    await hold_next_batch(backend)
    async with backend.device("alice") as alice, backend.device("bob") as bob:
        first = asyncio.ensure_future(alice.post("/v1/batch", json=note_batch(backend.world.job_id("job1"), "a1")))
        assert (await backend.adapter.wait_for(tenant, FaultHolding(), 10)).reached
        other = await bob.post("/v1/batch", json=note_batch(backend.world.job_id("job2"), "b1"))
        assert other.json()["results"][0]["status"] == 201
        still = await backend.adapter.wait_for(tenant, FaultHolding(), 0.05)
        assert still.seen["holding"] == 1 and not first.done()
        await alice.post("/v1/batch", json=note_batch(backend.world.job_id("job1"), "a1"))
        await asyncio.wait_for(first, 10)


async def start_upload(device: httpx.AsyncClient, job_id: str, item_id: str) -> str:
    metadata = {"item_id": item_id, "kind": "photo", "job_id": job_id, "sha256": hashlib.sha256(PHOTO).hexdigest()}
    created = await device.post("/v1/uploads", headers={
        "Tus-Resumable": "1.0.0", "Upload-Length": str(len(PHOTO)),
        "Upload-Metadata": ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items())})
    assert created.status_code == 201, created.text
    return httpx.URL(created.headers["Location"]).path


async def test_upload_offset_is_seen_once_the_server_holds_those_bytes(backend: Backend) -> None:
    tenant, item_id = backend.world.tenant_id, str(uuid.uuid4())
    async with backend.device("alice") as alice:
        upload = await start_upload(alice, backend.world.job_id("job1"), item_id)
        none_yet = await backend.adapter.wait_for(tenant, UploadReached(item_id, 1), 0.05)
        assert not none_yet.reached and none_yet.seen == {"offset": 0, "uploads": 1}
        waiting = asyncio.ensure_future(backend.adapter.wait_for(tenant, UploadReached(item_id, 65536), 10))
        patched = await alice.patch(upload, content=PHOTO[:65536], headers={
            "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
        assert patched.status_code == 204, patched.text
    reached = await waiting
    assert reached.reached and reached.seen["offset"] == 65536
    beyond = await backend.adapter.wait_for(tenant, UploadReached(item_id, 65537), 0.05)
    assert not beyond.reached and beyond.seen["offset"] == 65536


@pytest.mark.parametrize(("query", "status", "says"), [
    ({"until": "soon"}, 422, "until"),
    ({"until": "upload_offset", "bytes": 5}, 422, "needs item_id and bytes"),
    ({"until": "fault_holding", "timeout_s": 11}, 422, "timeout_s"),
    ({"until": "upload_offset", "item_id": "x", "bytes": 0}, 422, "bytes"),
])
async def test_the_wait_route_refuses_bad_input_with_a_json_4xx(backend: Backend, query: dict[str, Any],
                                                                 status: int, says: str) -> None:
    async with backend.admin() as admin:
        answer = await admin.get(f"/admin/tenants/{backend.world.tenant_id}/wait", params=query)
    assert answer.status_code == status
    assert says in answer.json()["error"]["message"]


async def test_the_wait_route_is_for_the_admin_and_an_existing_tenant(backend: Backend) -> None:
    url = f"/admin/tenants/{backend.world.tenant_id}/wait"
    async with backend.device("alice") as alice:
        assert (await alice.get(url, params={"until": "fault_holding"})).status_code == 403
    async with backend.admin() as admin:
        missing = await admin.get("/admin/tenants/ten_nope/wait", params={"until": "fault_holding"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "tenant_not_found"


# --- the wait steps, run by the runner --------------------------------------------------------
def scenario(steps: str) -> str:
    """A photo (labelled ``pic``) taken at line 5, then ``steps`` from line 6."""
    return ("name: waits\ndescription: A technician photographs a fuse box and the upload is watched on the server.\n"
            "setup: {technicians: [alice], jobs: [{id: job1, technician: alice}]}\n"
            f"steps:\n  - {{as: alice, do: take_photo, args: {{job: job1, size_kb: 100}}, label: pic}}\n{steps}\n")


async def test_an_event_wait_passes_when_observed_and_fails_its_step_with_what_was_seen(tmp_path: Path) -> None:
    text = scenario("  - wait: {until: upload_offset, item: pic, bytes: 100000, deadline_s: 10}\n"
                    "  - wait: {until: upload_offset, item: pic, bytes: 200000, deadline_s: 0.2}\n"
                    "  - wait: {until: fault_holding, deadline_s: 0.2}\n"
                    "  - wait: {until: synced, deadline_s: 10}")
    run = await run_scenarios([load_scenario(write(tmp_path, "waits.yaml", text))], RunOptions())
    (result,) = run.scenarios
    assert result.error is None and result.violations == []
    size = result.metrics["payload_bytes"]  # the one photo's bytes
    assert 100000 < size < 200000
    assert result.expectation_failures == [
        "line 7: wait until upload_offset: the server holds 200000 bytes of 'pic' did not"
        f" happen within 0.2 s (seen: offset {size}, uploads 1)",
        "line 8: wait until fault_holding: a delay fault holds an answer did not happen within 0.2 s"
        " (seen: holding 0, holds_begun 0)",
    ]


def test_wait_steps_for_events_are_read_with_their_item_and_offset() -> None:
    parsed = parse_scenario(scenario("  - wait: {until: upload_offset, item: pic, bytes: 9}\n"
                                     "  - delay: {route: POST /v1/batch, seconds: 9, until: retried}"))
    assert parsed.steps[1] == WaitStep(until="upload_offset", item="pic", nbytes=9, line=6)
    assert parsed.steps[2].until == "retried"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("steps", "expected"), [
    ("  - wait: {until: upload_offset, item: pics, bytes: 9}",
     "x.yaml:6: steps[1].wait.item: 'pics' is not the label of an earlier take_photo or collect_signature step"
     " (known: pic). Did you mean 'pic'?"),
    ("  - wait: {until: upload_offset, item: pic}", "x.yaml:6: steps[1].wait: missing required key 'bytes'"),
    ("  - wait: {until: synced, bytes: 9}",
     "x.yaml:6: steps[1].wait.bytes: bytes goes with until: upload_offset only; remove it,"
     " or wait until upload_offset"),
    ("  - delay: {route: POST /v1/batch, seconds: 9, until: retry}",
     "x.yaml:6: steps[1].delay.until: 'retry' is not one of ['retried']. Did you mean 'retried'?"),
])
def test_a_broken_event_wait_is_one_clear_error(steps: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(scenario(steps), "x.yaml")
    assert str(caught.value).startswith(expected)
