"""Each seeded client bug, run against the real server through real Toxiproxy, is caught by the checker
with the violation kind harness/client/bugs.py promises."""

from __future__ import annotations

import asyncio
import os

import pytest

from client_process import ClientProcess
from harness.checker import check
from harness.client import Device
from harness.client.retry import RetryPolicy

KB = 1024
FAST = RetryPolicy(base=0.05, cap=0.5, probe_interval=0.05, probe_cap=0.2)


@pytest.fixture
async def make(tmp_path, proxy, world):
    made: list[Device] = []

    def build(bug: str, **kwargs) -> Device:  # type: ignore[no-untyped-def]
        device = Device(tmp_path / "device", proxy.url, world.tech_token, seed=5, policy=FAST, bugs=[bug], **kwargs)
        made.append(device)
        return device

    yield build
    for device in made:
        await device.close()


async def _offline(device: Device, proxy) -> None:  # type: ignore[no-untyped-def]
    await proxy.set_enabled(False)
    await device.start()
    await device.wait_state("offline", timeout=10)


def _kinds(device_history, world, proxy) -> list[str]:  # type: ignore[no-untyped-def]
    return check(device_history, world.ledger(), proxy.timeline).kinds()


async def test_no_idempotency_key_gives_duplicates(make, proxy, world):
    world.admin("POST", "/faults", {"route": "POST /v1/batch", "action": "commit_then_fail", "count": 1})
    device = make("no_idempotency_key")
    await device.send_invoice(world.job_ids[0])
    await device.start()
    await device.wait_idle(timeout=20)
    kinds = _kinds(device.history(), world, proxy)
    assert "DUPLICATE" in kinds and "SIDE_EFFECT_DUP" in kinds


@pytest.mark.parametrize("bug", ["queue_payments_offline", "backfill_gps"])
async def test_online_only_action_taken_offline_is_leaked(bug, make, proxy, world):
    device = make(bug)
    await _offline(device, proxy)
    if bug == "queue_payments_offline":
        await device.charge_card(world.job_ids[0], 4200, "tok_visa")
    else:
        await device.report_location(48.85, 2.35)
    await proxy.set_enabled(True)
    await device.wait_idle(timeout=20)
    assert "LEAKED" in _kinds(device.history(), world, proxy)


async def test_status_out_of_order_is_reordered_or_lost(make, proxy, world):
    device = make("status_out_of_order")
    await _offline(device, proxy)
    for status in ("en_route", "in_progress", "complete"):
        await device.set_status(world.job_ids[0], status)
    await proxy.set_enabled(True)
    await device.wait_idle(timeout=20)
    assert {"REORDERED", "LOST"} & set(_kinds(device.history(), world, proxy))


async def test_upload_restart_from_zero_is_stuck_on_a_cut_link(make, proxy, world):
    await proxy.link.cut_after(300 * KB, stream="upstream").apply()  # every connection dies after 300 KB
    device = make("upload_restart_from_zero", chunk_size=128 * KB)
    await device.take_photo(world.job_ids[0], os.urandom(1024 * KB))
    await device.start()
    with pytest.raises(asyncio.TimeoutError):
        await device.wait_idle(timeout=3)  # the deadline of this scenario
    assert "STUCK" in _kinds(device.history(), world, proxy)


async def test_outbox_in_memory_loses_queued_items_on_sigkill(tmp_path, proxy, world):
    await proxy.set_enabled(False)
    client = ClientProcess(tmp_path / "device", proxy.url, world.tech_token, "--bugs", "outbox_in_memory")
    try:
        client.call("add_note", job_id=world.job_ids[0], text="written offline")
    finally:
        client.kill()
    await proxy.set_enabled(True)
    again = ClientProcess(tmp_path / "device", proxy.url, world.tech_token, "--bugs", "outbox_in_memory")
    try:
        again.call("wait_idle", timeout=20)
        history = again.call("history")
    finally:
        again.stop()
    assert "LOST" in _kinds(history, world, proxy)
