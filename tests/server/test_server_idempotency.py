"""Idempotency-Key rules (replay, 422, 409, 400) and dedupe on the client's item id."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid

import httpx

from harness.server.running import InProcessServer

from .support import Seed, committed, item, make_seed, mutate


def note_path(seed: Seed) -> str:
    return f"/v1/jobs/{seed.job_id}/notes"


def notes_in_ledger(seed: Seed) -> list[dict]:
    return [m for m in seed.ledger()["mutations"] if m["kind"] == "note"]


def test_same_key_same_request_replays_stored_response_and_applies_once(seed: Seed) -> None:
    body, key = item(text="replace gasket"), str(uuid.uuid4())
    first = mutate(seed.tech, note_path(seed), body, key)
    second = mutate(seed.tech, note_path(seed), body, key)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(notes_in_ledger(seed)) == 1


def test_same_key_different_request_is_422_and_applies_nothing(seed: Seed) -> None:
    key = str(uuid.uuid4())
    assert mutate(seed.tech, note_path(seed), item(text="one"), key).status_code == 201
    reused = mutate(seed.tech, note_path(seed), item(text="two"), key)
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert [m["payload"]["text"] for m in notes_in_ledger(seed)] == ["one"]


def test_missing_key_is_400_and_applies_nothing(seed: Seed) -> None:
    response = seed.tech.post(note_path(seed), json=item(text="no key"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_missing"
    assert notes_in_ledger(seed) == []


def test_keys_are_scoped_per_user(seed: Seed) -> None:
    key = str(uuid.uuid4())
    assert mutate(seed.tech, note_path(seed), item(text="mine"), key).status_code == 201
    other = mutate(seed.other_tech, f"/v1/jobs/{seed.other_job_id}/notes", item(text="theirs"), key)
    assert other.status_code == 201 and "Idempotent-Replayed" not in other.headers


def test_same_item_id_under_new_key_answers_first_result_without_applying(seed: Seed) -> None:
    body = item(text="once")
    first = mutate(seed.tech, note_path(seed), body)
    again = mutate(seed.tech, note_path(seed), body)
    assert again.status_code == 201 and again.json() == first.json()
    assert len(notes_in_ledger(seed)) == 1


def test_refusal_is_stored_and_replayed(seed: Seed) -> None:
    key = str(uuid.uuid4())
    body = item(status="scheduled")
    first = mutate(seed.tech, f"/v1/jobs/{seed.job_id}/status", body, key)
    assert first.status_code == 422 and first.json()["error"]["code"] == "illegal_transition"
    replay = mutate(seed.tech, f"/v1/jobs/{seed.job_id}/status", body, key)
    assert replay.status_code == 422 and replay.headers["Idempotent-Replayed"] == "true"


async def test_concurrent_identical_requests_get_409_while_first_in_flight_then_replay(seed: Seed) -> None:
    seed.fault(route="POST /v1/jobs/{job_id}/notes", action="delay", seconds=2.0, count=1)
    body, key = item(text="slow"), str(uuid.uuid4())
    headers = {**seed.tech.headers, "Idempotency-Key": key}
    async with httpx.AsyncClient(base_url=seed.url, headers=headers, timeout=10) as client:
        first = asyncio.create_task(client.post(note_path(seed), json=body))
        await committed(seed, "note", 1)  # the first request has committed and sits in its delay, key in flight
        concurrent = await asyncio.gather(*(client.post(note_path(seed), json=body) for _ in range(5)))
        assert {r.status_code for r in concurrent} == {409}
        assert concurrent[0].json()["error"]["code"] == "request_in_progress"
        assert (await asyncio.wait_for(first, 10)).status_code == 201
        after = await client.post(note_path(seed), json=body)
    assert after.status_code == 201 and after.headers["Idempotent-Replayed"] == "true"
    assert len(notes_in_ledger(seed)) == 1


async def test_concurrent_retries_with_distinct_keys_same_item_apply_once(seed: Seed) -> None:
    body = item(text="racing")
    async with httpx.AsyncClient(base_url=seed.url, headers=seed.tech.headers, timeout=10) as client:
        responses = await asyncio.gather(*(
            client.post(note_path(seed), json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
            for _ in range(8)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(notes_in_ledger(seed)) == 1


def test_batch_applies_each_item_once_and_replays_per_item(seed: Seed) -> None:
    items = [{"key": str(uuid.uuid4()), "method": "POST", "path": note_path(seed), "body": item(text=f"n{i}")}
             for i in range(20)]
    items.append({"key": None, "path": note_path(seed), "body": item(text="keyless")})
    first = seed.tech.post("/v1/batch", json={"items": items})
    assert first.status_code == 200
    statuses = [r["status"] for r in first.json()["results"]]
    assert statuses == [201] * 20 + [400]
    again = seed.tech.post("/v1/batch", json={"items": items[:20]}).json()["results"]
    assert all(r["replayed"] and r["status"] == 201 for r in again)
    assert [r["body"] for r in again] == [r["body"] for r in first.json()["results"][:20]]
    assert [m["payload"]["text"] for m in notes_in_ledger(seed)] == [f"n{i}" for i in range(20)]


def test_batch_item_shares_keys_with_single_route(seed: Seed) -> None:
    body, key = item(text="via single"), str(uuid.uuid4())
    single = mutate(seed.tech, note_path(seed), body, key)
    batched = seed.tech.post("/v1/batch", json={"items": [{"key": key, "path": note_path(seed), "body": body}]})
    result = batched.json()["results"][0]
    assert result["replayed"] and result["body"] == single.json()
    assert len(notes_in_ledger(seed)) == 1


def test_batch_over_limit_is_422(seed: Seed) -> None:
    items = [{"key": str(i), "path": note_path(seed), "body": item(text="x")} for i in range(501)]
    response = seed.tech.post("/v1/batch", json={"items": items})
    assert response.status_code == 422 and response.json()["error"]["code"] == "validation_error"
    assert notes_in_ledger(seed) == []


async def test_concurrent_identical_batches_apply_each_item_once(seed: Seed) -> None:
    items = [{"key": f"b{i}", "path": note_path(seed), "body": item(text=f"b{i}")} for i in range(50)]
    async with httpx.AsyncClient(base_url=seed.url, headers=seed.tech.headers, timeout=10) as client:
        responses = await asyncio.gather(*(client.post("/v1/batch", json={"items": items}) for _ in range(4)))
    statuses = {r["status"] for resp in responses for r in resp.json()["results"]}
    assert statuses <= {201, 409}
    assert sorted(m["payload"]["text"] for m in notes_in_ledger(seed)) == sorted(f"b{i}" for i in range(50))


def batch_of(seed: Seed, texts: list[str]) -> dict:
    return {"items": [{"key": f"key-{text}", "method": "POST", "path": note_path(seed), "body": item(text=text)}
                      for text in texts]}


async def test_delayed_batch_commits_its_items_then_holds_their_keys_in_flight(seed: Seed) -> None:
    seed.fault(route="POST /v1/batch", action="delay", seconds=2.0, count=1)
    batch = batch_of(seed, ["a", "b"])
    async with httpx.AsyncClient(base_url=seed.url, headers=seed.tech.headers, timeout=10) as client:
        first = asyncio.create_task(client.post("/v1/batch", json=batch))
        await committed(seed, "note", 2)  # both items committed before the held answer
        retry = (await client.post("/v1/batch", json=batch)).json()["results"]
        assert [(r["status"], r["body"]["error"]["code"]) for r in retry] == [(409, "request_in_progress")] * 2
        held = await asyncio.wait_for(first, 10)
        after = (await client.post("/v1/batch", json=batch)).json()["results"]
    assert [r["status"] for r in held.json()["results"]] == [201, 201]
    assert [(r["status"], r["replayed"]) for r in after] == [(201, True)] * 2
    assert len(notes_in_ledger(seed)) == 2


def test_batch_without_delay_lets_a_repeated_key_replay_within_the_same_batch(seed: Seed) -> None:
    batch = batch_of(seed, ["same"])
    batch["items"] *= 2  # the same key and body twice
    results = seed.tech.post("/v1/batch", json=batch).json()["results"]
    assert [(r["status"], r["replayed"]) for r in results] == [(201, False), (201, True)]
    assert len(notes_in_ledger(seed)) == 1


def other_note_path(seed: Seed) -> str:
    return f"/v1/jobs/{seed.other_job_id}/notes"


def test_another_users_item_id_is_409_and_never_replays_their_answer(seed: Seed) -> None:
    mine = item(text="A's private note")
    first = mutate(seed.tech, note_path(seed), mine)
    clash = mutate(seed.other_tech, other_note_path(seed), {**mine, "text": "B's own note"})
    assert clash.status_code == 409 and "Idempotent-Replayed" not in clash.headers
    assert clash.json()["error"]["code"] == "item_id_conflict"
    assert "A's private note" not in clash.text and first.json()["id"] not in clash.text
    assert [m["payload"]["text"] for m in notes_in_ledger(seed)] == ["A's private note"]
    again = mutate(seed.tech, note_path(seed), mine)  # the owner still gets its own answer under a new key
    assert again.status_code == 201 and again.json() == first.json()


def test_another_users_item_id_in_a_batch_is_refused_for_that_item_alone(seed: Seed) -> None:
    charge = item(job_id=seed.job_id, amount_cents=4500, card_token="tok_visa")
    assert mutate(seed.tech, "/v1/payments", charge).status_code == 201
    theirs = item(text="B's batched note")
    batch = {"items": [{"key": "b1", "path": "/v1/payments",
                        "body": {**charge, "job_id": seed.other_job_id, "amount_cents": 100}},
                       {"key": "b2", "path": other_note_path(seed), "body": theirs}]}
    results = seed.other_tech.post("/v1/batch", json=batch).json()["results"]
    assert [(r["status"], r["replayed"]) for r in results] == [(409, False), (201, False)]
    assert results[0]["body"]["error"]["code"] == "item_id_conflict" and "charge" not in json.dumps(results[0])
    ledger = seed.ledger()
    assert [c["amount_cents"] for c in ledger["charges"]] == [4500]
    assert [m["kind"] for m in ledger["mutations"]] == ["payment", "note"]


def test_same_users_item_id_on_another_route_is_422_not_a_replay(seed: Seed) -> None:
    note = item(text="a note")
    assert mutate(seed.tech, note_path(seed), note).status_code == 201
    reused = mutate(seed.tech, "/v1/gps", {"item_id": note["item_id"], "lat": 1.0, "lon": 2.0, "at": note["at"]})
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "item_id_reused"
    changed = mutate(seed.tech, note_path(seed), {**note, "text": "another text"})
    assert changed.status_code == 422 and changed.json()["error"]["code"] == "item_id_reused"
    assert [m["kind"] for m in seed.ledger()["mutations"]] == ["note"]


def test_database_from_before_item_owners_gets_the_columns_and_refuses_its_old_items(tmp_path) -> None:
    db_path = tmp_path / "old.db"
    with sqlite3.connect(db_path) as conn:  # applied_items as it was made before item owners were kept
        conn.execute("CREATE TABLE applied_items (tenant_id TEXT NOT NULL, item_id TEXT NOT NULL, kind TEXT NOT NULL,"
                     " status INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (tenant_id, item_id))")
    with InProcessServer(db_path, admin_token="a") as running:
        seed = make_seed(running.url, "a")
        body = item(text="new")
        assert mutate(seed.tech, note_path(seed), body).status_code == 201
        assert mutate(seed.tech, note_path(seed), body).headers["Idempotent-Replayed"] == "true"
        with sqlite3.connect(db_path) as conn:  # an item applied before the upgrade: its owner is unknown
            conn.execute("INSERT INTO applied_items (tenant_id, item_id, kind, status, body)"
                         " VALUES (?, 'old-item', 'note', 201, '{\"text\": \"old\"}')", (seed.tenant_id,))
        old = mutate(seed.tech, note_path(seed), item(text="mine?", item_id="old-item"))
    assert old.status_code == 409 and old.json()["error"]["code"] == "item_id_conflict"
