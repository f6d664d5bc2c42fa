"""What the technician sees offline: stale cache, queued actions, refused payments, paused GPS."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from client_scripts import batch_ok, script, sent_items
from harness.client import OfflineError, RefusedError
from harness.core.contract import content_hash

JOB = {"id": "job-1", "title": "Boiler service", "status": "scheduled", "scheduled_for": "2026-11-25T09:00:00Z",
       "customer": {"id": "c-1", "name": "Ada", "address": "1 Main St", "phone": "555"},
       "line_items": [], "notes": [], "photos": [], "signature": None}


def network_down(mock_server) -> None:
    mock_server.routes.clear()
    for method in ("GET", "POST", "HEAD", "PATCH"):
        mock_server.route(method=method).mock(side_effect=httpx.ConnectError)


def network_up(mock_server) -> None:
    mock_server.routes.clear()
    mock_server.get("/health").respond(200, json={"status": "ok"})


@pytest.fixture
def offline_device(mock_server, make_device):
    """A started device whose server cannot be reached (real sleeps, tiny probe intervals)."""

    async def make(**kwargs):
        network_down(mock_server)
        device = make_device(sleep=asyncio.sleep, **kwargs)
        await device.start()
        await device.wait_state("offline", timeout=5)
        return device

    return make


async def test_job_cached_online_is_served_stale_offline(mock_server, make_device):
    mock_server.get("/v1/jobs/job-1").respond(200, json=JOB)
    mock_server.get("/v1/customers/c-1/history").respond(200, json={"customer": JOB["customer"], "jobs": []})
    device = make_device(sleep=asyncio.sleep)
    await device.start()
    await device.wait_state("idle", timeout=5)
    fresh = await device.open_job("job-1")
    assert fresh["stale"] is False and fresh["data"]["title"] == "Boiler service"

    network_down(mock_server)
    stale = await device.open_job("job-1")
    assert stale["stale"] is True and stale["data"] == JOB and stale["fetched_at"] == fresh["fetched_at"]
    assert device.sync_state == "offline"  # noticed from the failed read
    history = await device.open_customer_history("c-1")
    assert history["stale"] is True


async def test_uncached_job_offline_raises_a_clear_error(offline_device):
    device = await offline_device()
    with pytest.raises(OfflineError, match="not in the device cache.*open it once while online"):
        await device.open_job("job-9")


async def test_schedule_summaries_serve_a_job_never_opened(mock_server, make_device):
    mock_server.get("/v1/schedule").respond(200, json={"date": "2026-11-25", "jobs": [JOB]})
    device = make_device(sleep=asyncio.sleep)
    await device.start()
    await device.open_schedule("2026-11-25")
    network_down(mock_server)
    assert (await device.open_job("job-1"))["data"]["id"] == "job-1"
    assert (await device.open_schedule("2026-11-25"))["stale"] is True


async def test_offline_actions_are_queued_then_synced_on_return(mock_server, offline_device):
    device = await offline_device()
    status = await device.set_status("job-1", "en_route")
    entry = await device.clock_in("job-1")
    assert device.state()["pending"] == 2 and device.sync_state == "offline"

    network_up(mock_server)
    answer = script(batch_ok)
    mock_server.post("/v1/batch").mock(side_effect=answer)
    await device.wait_idle(timeout=10)
    sent = [item["body"] for request in answer.requests for item in sent_items(request)]
    assert [body["item_id"] for body in sent] == [status["item_id"], entry["item_id"]]
    # time entries keep the device's timestamp, and the hash the checker compares covers it
    assert sent[1]["at"] == entry["accepted_at"]
    assert entry["content_hash"] == content_hash("time_entry", {"job_id": "job-1", "entry": "clock_in", "at": sent[1]["at"]})
    states = [t["state"] for t in device.history()["sync_states"]]
    assert states[0] == "offline" and states[-2:] == ["syncing", "idle"]


async def test_card_payment_offline_is_refused_and_not_queued(offline_device):
    device = await offline_device()
    with pytest.raises(OfflineError, match="nothing was charged or queued"):
        await device.charge_card("job-1", 12000, "tok_visa")
    assert device.store.outbox_items() == [] and device.history()["intents"] == []


async def test_queue_payments_offline_bug_queues_the_payment(offline_device):
    device = await offline_device(bugs=["queue_payments_offline"])
    queued = await device.charge_card("job-1", 12000, "tok_visa")
    assert queued["queued"] is True and device.store.outbox_items()[0]["kind"] == "payment"


async def test_card_payment_online_uses_one_key_and_reports_declines(mock_server, make_device):
    charges = script(httpx.Response(503), httpx.Response(201, json={"id": "ch-1"}))
    mock_server.post("/v1/payments").mock(side_effect=charges)
    device = make_device()
    await device.start()
    await device.wait_state("idle", timeout=5)
    paid = await device.charge_card("job-1", 12000, "tok_visa")
    assert paid["charge"] == {"id": "ch-1"} and paid["online_only"] is True
    keys = {request.headers["Idempotency-Key"] for request in charges.requests}
    assert keys == {paid["key"]} and len(charges.requests) == 2
    assert device.store.outbox_items() == []

    mock_server.post("/v1/payments").respond(402, json={"error": {"code": "card_declined", "message": "declined"}})
    with pytest.raises(RefusedError, match="402"):
        await device.charge_card("job-1", 500, "tok_bad")


async def test_gps_is_dropped_offline_and_never_backfilled(mock_server, offline_device):
    device = await offline_device()
    dropped = await device.report_location(51.5, -0.12)
    assert dropped == {"sent": False, "queued": False, "reason": "offline: GPS tracking is paused"}
    network_up(mock_server)
    gps = mock_server.post("/v1/gps").respond(201, json={})
    await device.wait_idle(timeout=10)
    assert gps.call_count == 0
    sent = await device.report_location(51.6, -0.13)
    assert sent["sent"] is True and gps.call_count == 1
    assert json.loads(gps.calls[0].request.content)["lat"] == 51.6


async def test_backfill_gps_bug_sends_offline_points_later(mock_server, offline_device):
    device = await offline_device(bugs=["backfill_gps"])
    await device.report_location(51.5, -0.12)
    network_up(mock_server)
    answer = script(batch_ok)
    mock_server.post("/v1/batch").mock(side_effect=answer)
    await device.wait_idle(timeout=10)
    assert [item["path"] for request in answer.requests for item in sent_items(request)] == ["/v1/gps"]


async def test_refresh_assignments_is_online_only(mock_server, offline_device):
    device = await offline_device()
    assert (await device.refresh_assignments("2026-11-25"))["online"] is False
    network_up(mock_server)
    mock_server.get("/v1/schedule").respond(200, json={"date": "2026-11-25", "jobs": [JOB]})
    await device.wait_idle(timeout=10)
    refreshed = await device.refresh_assignments("2026-11-25")
    assert refreshed["online"] is True and refreshed["new"] == ["job-1"]


async def test_bad_input_is_refused_with_a_clear_message(make_device):
    device = make_device()
    with pytest.raises(ValueError, match="unknown status 'done'"):
        await device.set_status("job-1", "done")
    with pytest.raises(ValueError, match="photo is empty"):
        await device.take_photo("job-1", b"")
    with pytest.raises(ValueError, match="unknown client bug"):
        make_device(bugs=["nope"])
