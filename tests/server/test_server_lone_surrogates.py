"""A lone UTF-16 surrogate escape (an emoji cut in half by a JS client) is a 422 naming the field.

Through the real uvicorn server. In a batch only the item holding it is refused: the others are
applied and answered, and a retry of the same batch gets the same answers, so no queue is stuck.
"""

from __future__ import annotations

import json
import uuid

import pytest

from harness.server import payments

from .support import Seed, item

CUT_EMOJI = "\\ud83d"  # the JSON escape of the first half of U+1F600, with no second half


def with_cut_emoji(value: object) -> str:
    """``value`` as JSON with every string "@" (value or key) made a lone surrogate escape."""
    return json.dumps(value).replace('"@"', f'"{CUT_EMOJI}"')


def post_json(seed: Seed, path: str, raw: str, **headers: str) -> dict:
    response = seed.tech.post(path, content=raw.encode(), headers={"Content-Type": "application/json", **headers})
    return {"status": response.status_code, **response.json()}


def note_path(seed: Seed) -> str:
    return f"/v1/jobs/{seed.job_id}/notes"


def test_note_with_a_cut_emoji_is_422_naming_the_field_and_stores_nothing(seed: Seed) -> None:
    raw = with_cut_emoji(item(text="@"))
    answer = post_json(seed, note_path(seed), raw, **{"Idempotency-Key": str(uuid.uuid4())})
    assert answer["status"] == 422 and answer["error"]["code"] == "validation_error"
    assert answer["error"]["message"].startswith("body.text: ") and "surrogate" in answer["error"]["message"]
    assert seed.ledger()["mutations"] == []


def test_a_whole_emoji_as_a_surrogate_pair_is_stored(seed: Seed) -> None:
    raw = json.dumps(item(text="done \U0001F600"))  # ensure_ascii: written as the pair \ud83d\ude00
    assert "\\ud83d\\ude00" in raw
    answer = post_json(seed, note_path(seed), raw, **{"Idempotency-Key": str(uuid.uuid4())})
    assert answer["status"] == 201 and answer["text"] == "done \U0001F600"


def batch_with_a_cut_emoji(seed: Seed) -> str:
    good, cut, after = item(text="first"), item(text="@"), item(text="third")
    items = [{"key": f"k-{body['text']}", "path": note_path(seed), "body": body} for body in (good, cut, after)]
    return with_cut_emoji({"items": items})


def test_batch_refuses_only_the_item_with_a_cut_emoji_and_answers_the_same_on_retry(seed: Seed) -> None:
    raw = batch_with_a_cut_emoji(seed)
    first = post_json(seed, "/v1/batch", raw)
    retry = post_json(seed, "/v1/batch", raw)
    assert first["status"] == retry["status"] == 200
    assert [(r["status"], r["replayed"]) for r in first["results"]] == [(201, False), (422, False), (201, False)]
    assert [(r["status"], r["replayed"]) for r in retry["results"]] == [(201, True), (422, False), (201, True)]
    assert first["results"][1]["body"]["error"]["message"].startswith("body.text: ")
    assert [m["payload"]["text"] for m in seed.ledger()["mutations"]] == ["first", "third"]


def test_batch_envelope_with_a_cut_emoji_is_422_naming_it_and_applies_nothing(seed: Seed) -> None:
    items = [{"key": "fine", "path": note_path(seed), "body": item(text="would be first")},
             {"key": "@", "path": note_path(seed), "body": item(text="x")}]
    answer = post_json(seed, "/v1/batch", with_cut_emoji({"items": items}))
    assert answer["status"] == 422 and answer["error"]["message"].startswith("items.1.key: ")
    assert seed.ledger()["mutations"] == []


def test_a_cut_emoji_in_an_object_key_is_named_by_its_escape(seed: Seed) -> None:
    raw = with_cut_emoji({**item(text="x"), "@": 1})
    answer = post_json(seed, note_path(seed), raw, **{"Idempotency-Key": str(uuid.uuid4())})
    assert answer["status"] == 422 and answer["error"]["message"].startswith("body.\\ud83d: ")


def test_admin_body_with_a_cut_emoji_is_422_naming_the_field_and_adds_no_fault(seed: Seed) -> None:
    faults = f"/admin/tenants/{seed.tenant_id}/faults"
    response = seed.admin.post(faults, content=with_cut_emoji({"route": "@", "action": "status"}),
                               headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["error"]["message"].startswith("route: ")
    assert seed.admin.get(faults).json() == {"faults": []}


def test_batch_item_failing_unexpectedly_is_answered_for_itself_after_the_items_before_it(
        seed: Seed, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_gateway(*args: object) -> None:
        raise RuntimeError("card gateway exploded")

    monkeypatch.setattr(payments, "charge", broken_gateway)
    payment = item(job_id=seed.job_id, amount_cents=100, card_token="tok_visa")
    items = [{"key": "n1", "path": note_path(seed), "body": item(text="before")},
             {"key": "p", "path": "/v1/payments", "body": payment},
             {"key": "n2", "path": note_path(seed), "body": item(text="after")}]
    response = seed.tech.post("/v1/batch", json={"items": items})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 500, 201]
    assert results[1]["body"]["error"]["code"] == "internal_error"
    assert [m["kind"] for m in seed.ledger()["mutations"]] == ["note", "note"]
