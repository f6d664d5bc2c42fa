"""The sync engine's application-level retry logic against a respx-scripted flaky server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx

from client_scripts import batch_each, batch_ok, script, sent_items
from harness.client.retry import parse_retry_after


async def test_batch_survives_connect_error_timeout_and_reset_with_one_key(mock_server, make_device):
    flaky = script(httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError, batch_ok)
    route = mock_server.post("/v1/batch").mock(side_effect=flaky)
    device = make_device()
    note = await device.add_note("job-1", "replaced the filter")
    await device.start()
    await device.wait_idle(timeout=10)

    assert route.call_count == 4
    keys = {sent_items(request)[0]["key"] for request in flaky.requests}
    assert keys == {note["key"]}
    outcomes = [a["outcome"] for a in device.history()["attempts"] if a["item_id"] == note["item_id"]]
    assert outcomes == ["fail", "info", "info", "ok"]
    assert device.state()["counters"]["items"][note["item_id"]]["retries"] == 3
    assert device.store.outbox_items()[0]["state"] == "done"


async def test_5xx_is_retried_and_recorded_as_unknown(mock_server, make_device):
    route = mock_server.post("/v1/batch").mock(side_effect=script(httpx.Response(503), batch_ok))
    device = make_device()
    item = await device.set_status("job-1", "en_route")
    await device.start()
    await device.wait_idle(timeout=10)
    outcomes = [(a["outcome"], a["http_status"]) for a in device.history()["attempts"] if a["item_id"] == item["item_id"]]
    assert outcomes == [("info", 503), ("ok", 201)]  # the item's own status inside the batch
    assert route.call_count == 2


async def test_429_retry_after_seconds_is_honoured(mock_server, make_device, sleep):
    mock_server.post("/v1/batch").mock(
        side_effect=script(httpx.Response(429, headers={"Retry-After": "7"}), batch_ok)
    )
    device = make_device()
    await device.add_note("job-1", "n")
    await device.start()
    await device.wait_idle(timeout=10)
    assert 7.0 in sleep.delays  # the backoff (cap 5 s in these tests) never undercuts Retry-After


async def test_retry_after_http_date_is_honoured(mock_server, make_device, sleep):
    when = datetime.now(timezone.utc) + timedelta(seconds=40)
    mock_server.post("/v1/batch").mock(
        side_effect=script(httpx.Response(503, headers={"Retry-After": format_datetime(when, usegmt=True)}), batch_ok)
    )
    device = make_device()
    await device.add_note("job-1", "n")
    await device.start()
    await device.wait_idle(timeout=10)
    assert any(30 <= delay <= 41 for delay in sleep.delays)


def test_retry_after_parsing():
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Wed, 25 Nov 2026 08:00:30 GMT", now=datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc).timestamp()) == 30.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


async def test_no_backoff_bug_ignores_retry_after(mock_server, make_device, sleep):
    mock_server.post("/v1/batch").mock(
        side_effect=script(httpx.Response(429, headers={"Retry-After": "7"}), batch_ok)
    )
    device = make_device(bugs=["no_backoff"])
    await device.add_note("job-1", "n")
    await device.start()
    await device.wait_idle(timeout=10)
    assert 7.0 not in sleep.delays and 0.0 in sleep.delays


async def test_4xx_refusal_is_reported_failed_and_never_retried(mock_server, make_device):
    refusal = {"error": {"code": "illegal_transition", "message": "cannot go back"}}
    route = mock_server.post("/v1/batch").mock(side_effect=batch_each(422, refusal))
    device = make_device()
    item = await device.set_status("job-1", "en_route")
    await device.start()
    await device.wait_idle(timeout=10)
    assert route.call_count == 1
    failed = device.state()["failed"]
    assert [f["item_id"] for f in failed] == [item["item_id"]] and "illegal_transition" in failed[0]["error"]


async def test_409_request_in_progress_is_retried(mock_server, make_device):
    in_progress = batch_each(409, {"error": {"code": "request_in_progress", "message": "retry later"}})
    route = mock_server.post("/v1/batch").mock(side_effect=script(in_progress, batch_ok))
    device = make_device()
    await device.send_invoice("job-1")
    await device.start()
    await device.wait_idle(timeout=10)
    assert route.call_count == 2
    assert device.store.outbox_items()[0]["state"] == "done"


async def test_truncated_batch_response_is_unknown_and_retried(mock_server, make_device):
    truncated = httpx.Response(200, content=b'{"results": [{"key": "ab', headers={"Content-Type": "application/json"})
    route = mock_server.post("/v1/batch").mock(side_effect=script(truncated, batch_ok))
    device = make_device()
    item = await device.add_note("job-1", "n")
    await device.start()
    await device.wait_idle(timeout=10)
    assert route.call_count == 2
    outcomes = [a["outcome"] for a in device.history()["attempts"] if a["item_id"] == item["item_id"]]
    assert outcomes == ["info", "ok"]


async def test_backoff_grows_with_full_jitter_and_is_seeded(mock_server, make_device, tmp_path):
    runs = []
    for run in range(2):
        mock_server.post("/v1/batch").mock(side_effect=script(*[httpx.Response(503)] * 5, batch_ok))
        device = make_device(store=tmp_path / f"store{run}", seed=42)
        await device.add_note("job-1", "n")
        await device.start()
        await device.wait_idle(timeout=10)
        runs.append(list(device.engine.delays))
        await device.close()
    assert runs[0] == runs[1] and len(runs[0]) == 5
    for failures, delay in enumerate(runs[0], start=1):
        assert 0 <= delay <= 0.1 * 2 ** (failures - 1)


async def test_no_idempotency_key_bug_sends_a_new_identity_per_attempt(mock_server, make_device):
    flaky = script(httpx.ReadTimeout, batch_ok)
    mock_server.post("/v1/batch").mock(side_effect=flaky)
    device = make_device(bugs=["no_idempotency_key"])
    await device.add_note("job-1", "n")
    await device.start()
    await device.wait_idle(timeout=10)
    sent = [sent_items(request)[0] for request in flaky.requests]
    assert len(sent) == 2 and sent[0]["key"] != sent[1]["key"]
    assert sent[0]["body"]["item_id"] != sent[1]["body"]["item_id"]


async def test_connectivity_loss_and_return_are_noticed(mock_server, make_device):
    mock_server.get("/health").mock(side_effect=script(httpx.Response(200), httpx.ConnectError,
                                                       httpx.ConnectError, httpx.Response(200)))
    mock_server.post("/v1/batch").mock(side_effect=script(httpx.ConnectError, batch_ok))
    device = make_device()
    await device.add_note("job-1", "n")
    await device.start()
    await device.wait_idle(timeout=10)
    states = [t["state"] for t in device.history()["sync_states"]]
    assert states[:2] == ["syncing", "offline"] and states[-2:] == ["syncing", "idle"]


async def test_attempt_history_records_the_retry_after_each_answer_asked_for(mock_server, make_device, sleep):
    mock_server.post("/v1/batch").mock(
        side_effect=script(httpx.Response(503, headers={"Retry-After": "3"}), httpx.Response(503), batch_ok)
    )
    device = make_device()
    note = await device.add_note("job-1", "n")
    await device.start()
    await device.wait_idle(timeout=10)
    attempts = [(a["http_status"], a["retry_after"]) for a in device.history()["attempts"] if a["item_id"] == note["item_id"]]
    assert attempts == [(503, 3.0), (503, None), (201, None)]
