"""A scenario written in Python with the plugin's fixtures: what YAML cannot say, e.g. a condition
scoped to a block and assertions on what the device returned."""

from __future__ import annotations

from harness.checker import check


async def test_photo_taken_in_a_dead_zone_uploads_once_after_it(network, office, device) -> None:
    job = office.job_id("job1")
    async with office.link.blackhole():  # connected, but nothing gets through
        accepted = await device.act("take_photo", {"job_id": job, "data": b"\x89PNG" + bytes(range(256)) * 200})
        note = await device.act("add_note", {"job_id": job, "text": "meter at 4512 kWh"})
        assert accepted["queued"] and note["queued"]
    assert await device.wait_until("synced", timeout=20)

    verdict = check(await device.history(), await office.ledger())
    assert verdict.passed, verdict.explain()
    assert verdict.metrics.applied == 2


async def test_a_new_assignment_appears_after_the_refresh(network, office, device) -> None:
    await office.link.set_enabled(False)
    await office.assign("job2", "alice", title="Burst pipe")
    offline = await device.act("refresh_assignments", {})
    assert offline["online"] is False
    await office.link.set_enabled(True)
    assert await device.wait_until("idle", timeout=10)  # the app notices the network is back
    online = await device.act("refresh_assignments", {})
    assert office.job_id("job2") in online["new"]
