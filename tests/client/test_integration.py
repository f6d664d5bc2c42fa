"""The device against the real reference server through the real toxiproxy-server."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from typing import Any

import pytest

from client_process import ClientProcess
from harness.client import Device, OfflineError
from harness.client.retry import RetryPolicy
from harness.checker import check

KB = 1024
FAST = RetryPolicy(base=0.05, cap=1.0, probe_interval=0.05, probe_cap=0.2)


@pytest.fixture
async def device(tmp_path, proxy, world):
    made = Device(tmp_path / "device", proxy.url, world.tech_token, seed=3, policy=FAST, chunk_size=128 * KB)
    yield made
    await made.close()


def assert_exactly_once(history: dict[str, Any], ledger: dict[str, Any], timeline: list | None = None) -> None:
    """Every queued intent applied once with its content hash, statuses in order; the checker agrees."""
    verdict = check(history, ledger, timeline)
    assert verdict.passed, verdict.explain()
    queued = {i["item_id"]: i for i in history["intents"] if not i["online_only"]}
    applied = Counter(m["item_id"] for m in ledger["mutations"])
    assert {item_id: applied[item_id] for item_id in queued} == {item_id: 1 for item_id in queued}
    for mutation in ledger["mutations"]:
        if mutation["item_id"] in queued:
            assert mutation["content_hash"] == queued[mutation["item_id"]]["content_hash"]
    made = [i["item_id"] for i in history["intents"] if i["kind"] == "status"]
    assert [m["item_id"] for m in ledger["mutations"] if m["kind"] == "status"] == made


async def test_offline_work_syncs_exactly_once_on_reconnect(device, proxy, world):
    job = world.job_ids[0]
    await device.start()
    await device.open_job(job)  # cached while online
    await proxy.set_enabled(False)
    assert (await device.open_job(job))["stale"] is True
    assert device.sync_state == "offline"

    photo = os.urandom(600 * KB)
    for status in ("en_route", "in_progress", "complete"):
        await device.set_status(job, status)
    await device.add_note(job, "replaced the pump")
    await device.clock_in(job)
    await device.take_photo(job, photo)
    await device.collect_signature(job, b"\x89PNG" + os.urandom(2 * KB), "Ada")
    await device.clock_out(job)
    await device.send_invoice(job)
    with pytest.raises(OfflineError):
        await device.charge_card(job, 5000, "tok_visa")
    assert (await device.report_location(51.5, -0.1))["sent"] is False
    assert (await device.refresh_assignments())["online"] is False

    await proxy.set_enabled(True)
    await device.wait_idle(timeout=30)
    ledger = world.ledger()
    assert_exactly_once(device.history(), ledger, proxy.timeline)
    assert len(ledger["emails"]) == 1 and ledger["charges"] == []
    assert not [m for m in ledger["mutations"] if m["kind"] == "gps"]
    photos = [m for m in ledger["mutations"] if m["kind"] == "photo"]
    assert [p["content_hash"] for p in photos] == [hashlib.sha256(photo).hexdigest()]
    states = [t["state"] for t in device.history()["sync_states"]]
    assert "offline" in states and states[-2:] == ["syncing", "idle"]


async def test_upload_cut_every_300kb_resumes_and_lands_once(device, proxy, world):
    await proxy.link.cut_after(300 * KB, stream="upstream").apply()  # each connection dies after 300 KB
    photo = os.urandom(1024 * KB)
    item = await device.take_photo(world.job_ids[0], photo)
    await device.start()
    await device.wait_idle(timeout=30)
    ledger = world.ledger()
    assert_exactly_once(device.history(), ledger)
    ops = Counter((a["op"], a["outcome"]) for a in device.history()["attempts"] if a["item_id"] == item["item_id"])
    assert ops[("tus_create", "ok")] == 1 and ops[("tus_head", "ok")] >= 1 and ops[("tus_patch", "info")] >= 1


async def test_lost_response_is_retried_with_one_effect(device, world):
    assert world.admin("POST", "/faults", {"route": "POST /v1/batch", "action": "commit_then_fail",
                                           "count": 1}).status_code == 201
    job = world.job_ids[1]
    await device.send_estimate(job)
    await device.add_note(job, "committed, answer lost")
    await device.start()
    await device.wait_idle(timeout=30)
    ledger = world.ledger()
    assert_exactly_once(device.history(), ledger)
    assert len(ledger["emails"]) == 1
    outcomes = [a["outcome"] for a in device.history()["attempts"] if a["op"] == "batch"]
    assert outcomes[:2] == ["info", "info"] and outcomes[-1] == "ok"


async def test_retry_after_from_the_server_is_honoured(device, world):
    world.admin("POST", "/faults", {"route": "POST /v1/batch", "action": "status", "status": 503,
                                    "retry_after": 1, "count": 1})
    await device.add_note(world.job_ids[0], "after a 503")
    await device.start()
    await device.wait_idle(timeout=30)
    assert any(delay >= 1.0 for delay in device.engine.delays)
    assert_exactly_once(device.history(), world.ledger())


async def test_client_process_sigkilled_mid_sync_loses_and_duplicates_nothing(tmp_path, proxy, world):
    slow = proxy.link.latency(150, stream="downstream")
    await slow.apply()
    client = ClientProcess(tmp_path / "device", proxy.url, world.tech_token, "--chunk-size", str(64 * KB))
    job = world.job_ids[0]
    try:
        for n in range(20):
            client.call("add_note", job_id=job, text=f"note {n}")
        client.call("take_photo", job_id=job, path=str(_write(tmp_path / "p.jpg", os.urandom(400 * KB))))
        client.call("set_status", job_id=job, status="en_route")
    finally:
        client.kill()  # mid-sync: the slow link keeps most of it in flight or queued
    await slow.remove()
    again = ClientProcess(tmp_path / "device", proxy.url, world.tech_token)
    try:
        again.call("wait_idle", timeout=30)
        history = again.call("history")
    finally:
        again.stop()
    assert len(history["intents"]) == 22
    assert_exactly_once(history, world.ledger())


def _write(path, data: bytes):  # type: ignore[no-untyped-def]
    path.write_bytes(data)
    return path
