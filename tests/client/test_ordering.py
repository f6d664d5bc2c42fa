"""A job's status transitions leave the device strictly in the order they were made."""

from __future__ import annotations

import httpx

from client_scripts import batch_ok, script, sent_items


async def _statuses_sent(mock_server, device) -> list[str]:
    answer = script(batch_ok)
    mock_server.post("/v1/batch").mock(side_effect=answer)
    for status in ("en_route", "in_progress", "complete"):
        await device.set_status("job-1", status)
    await device.start()
    await device.wait_idle(timeout=10)
    return [item["body"]["status"] for request in answer.requests for item in sent_items(request)]


async def test_statuses_are_sent_in_the_order_made(mock_server, make_device):
    assert await _statuses_sent(mock_server, make_device()) == ["en_route", "in_progress", "complete"]


async def test_status_out_of_order_bug_reverses_them(mock_server, make_device):
    sent = await _statuses_sent(mock_server, make_device(bugs=["status_out_of_order"]))
    assert sent == ["complete", "in_progress", "en_route"]


async def test_later_status_waits_while_an_earlier_one_is_in_doubt(make_device):
    device = make_device()
    first = await device.set_status("job-1", "en_route")
    await device.set_status("job-1", "in_progress")
    note = await device.add_note("job-1", "still batched")
    attempt_ids = device.store.begin_attempts([(first["item_id"], first["key"])], "batch", "POST", "/v1/batch", "t")
    device.store.end_attempts([(attempt_ids[0], "info", None, "ReadTimeout")], "t")

    batch = device.engine._build_batch()
    assert [item["item_id"] for item in batch] == [first["item_id"], note["item_id"]]


async def test_batches_respect_the_size_limit(mock_server, make_device):
    answer = script(batch_ok)
    mock_server.post("/v1/batch").mock(side_effect=answer)
    device = make_device(batch_max=4)
    for n in range(10):
        await device.add_note("job-1", f"note {n}")
    await device.start()
    await device.wait_idle(timeout=10)
    sizes = [len(sent_items(request)) for request in answer.requests]
    texts = [item["body"]["text"] for request in answer.requests for item in sent_items(request)]
    assert sizes == [4, 4, 2] and texts == [f"note {n}" for n in range(10)]


async def test_batch_refused_as_a_whole_fails_its_items(mock_server, make_device):
    route = mock_server.post("/v1/batch").mock(return_value=httpx.Response(
        401, json={"error": {"code": "unauthorized", "message": "unknown token"}}))
    device = make_device()
    await device.add_note("job-1", "n")
    await device.start()
    await device.wait_idle(timeout=10)
    assert route.call_count == 1 and len(device.state()["failed"]) == 1
