"""Mutations apply once with the right ledger entry; reads show the result."""

from __future__ import annotations

import re

from harness.core import contract

from .support import TODAY, Seed, item, mutate


def status(seed: Seed, value: str) -> int:
    return mutate(seed.tech, f"/v1/jobs/{seed.job_id}/status", item(status=value)).status_code


def test_status_moves_forward_and_skipping_is_allowed(seed: Seed) -> None:
    assert status(seed, "en_route") == 200
    assert status(seed, "complete") == 200
    assert seed.tech.get(f"/v1/jobs/{seed.job_id}").json()["status"] == "complete"


def test_status_backwards_or_same_is_illegal_transition_and_changes_nothing(seed: Seed) -> None:
    assert status(seed, "in_progress") == 200
    for value in ("en_route", "in_progress", "scheduled"):
        response = mutate(seed.tech, f"/v1/jobs/{seed.job_id}/status", item(status=value))
        assert response.status_code == 422 and response.json()["error"]["code"] == "illegal_transition"
    assert seed.tech.get(f"/v1/jobs/{seed.job_id}").json()["status"] == "in_progress"
    assert [m["payload"]["status"] for m in seed.ledger()["mutations"] if m["kind"] == "status"] == ["in_progress"]


def test_ledger_entry_carries_key_item_and_contract_content_hash(seed: Seed) -> None:
    body = item(text="check pressure")
    mutate(seed.tech, f"/v1/jobs/{seed.job_id}/notes", body, key="key-123")
    (entry,) = seed.ledger()["mutations"]
    assert entry["idempotency_key"] == "key-123" and entry["item_id"] == body["item_id"]
    assert entry["kind"] == "note" and entry["job_id"] == seed.job_id
    assert entry["content_hash"] == contract.content_hash("note", {"job_id": seed.job_id, "text": "check pressure"})


def test_time_entries_keep_device_timestamps(seed: Seed) -> None:
    at = "2026-11-25T07:58:13Z"
    response = mutate(seed.tech, "/v1/time-entries", item(job_id=None, entry="clock_in", at=at))
    assert response.status_code == 201 and response.json()["at"] == at
    (entry,) = seed.ledger()["mutations"]
    assert entry["content_hash"] == contract.content_hash("time_entry", {"job_id": None, "entry": "clock_in", "at": at})


def test_document_send_records_exactly_one_email_to_the_customer(seed: Seed) -> None:
    body = item(doc_type="invoice")
    for _ in range(3):
        assert mutate(seed.tech, f"/v1/jobs/{seed.job_id}/documents", body, key="doc-key").status_code == 201
    emails = seed.ledger()["emails"]
    assert len(emails) == 1
    assert emails[0]["to"] == "carl@example.com" and emails[0]["doc_type"] == "invoice"


def test_payment_charges_once_and_declined_card_charges_nothing(seed: Seed) -> None:
    body = item(job_id=seed.job_id, amount_cents=4500, card_token="tok_visa")
    assert mutate(seed.tech, "/v1/payments", body, key="pay").status_code == 201
    assert mutate(seed.tech, "/v1/payments", body, key="pay").status_code == 201
    declined = mutate(seed.tech, "/v1/payments", item(job_id=seed.job_id, amount_cents=100, card_token="tok_decline"))
    assert declined.status_code == 402 and declined.json()["error"]["code"] == "card_declined"
    ledger = seed.ledger()
    assert [c["amount_cents"] for c in ledger["charges"]] == [4500]
    assert [m["kind"] for m in ledger["mutations"]] == ["payment"]


def test_gps_points_are_recorded_with_device_time(seed: Seed) -> None:
    for i in range(3):
        assert mutate(seed.tech, "/v1/gps", item(lat=52.0 + i / 100, lon=4.0, at=f"{TODAY}T09:0{i}:00Z")).status_code == 201
    points = [m["payload"] for m in seed.ledger()["mutations"] if m["kind"] == "gps"]
    assert [p["at"] for p in points] == [f"{TODAY}T09:0{i}:00Z" for i in range(3)]


def test_schedule_and_job_details_show_notes_and_line_items(seed: Seed) -> None:
    mutate(seed.tech, f"/v1/jobs/{seed.job_id}/notes", item(text="bring ladder"))
    schedule = seed.tech.get("/v1/schedule", params={"date": TODAY}).json()
    assert [j["id"] for j in schedule["jobs"]] == [seed.job_id]
    assert schedule["jobs"][0]["customer"]["name"] == "Carl Customer"
    details = seed.tech.get(f"/v1/jobs/{seed.job_id}").json()
    assert [n["text"] for n in details["notes"]] == ["bring ladder"]
    assert details["line_items"][0]["unit_price_cents"] == 4500
    assert details["photos"] == [] and details["signature"] is None


def test_new_office_assignment_appears_on_next_read(seed: Seed) -> None:
    before = seed.tech.get("/v1/schedule", params={"date": TODAY}).json()["jobs"]
    created = mutate(seed.office, "/v1/jobs", {"item_id": "new-job", "customer_id": seed.customer_id,
                                               "technician_id": seed.tech_id, "title": "Urgent",
                                               "scheduled_for": f"{TODAY}T15:00:00Z"}).json()
    after = seed.tech.get("/v1/schedule", params={"date": TODAY}).json()["jobs"]
    assert created["id"] not in [j["id"] for j in before]
    assert [j["id"] for j in after] == [j["id"] for j in before] + [created["id"]]


def test_customer_history_lists_the_customers_jobs(seed: Seed) -> None:
    history = seed.tech.get(f"/v1/customers/{seed.customer_id}/history").json()
    assert history["customer"]["id"] == seed.customer_id
    assert {j["id"] for j in history["jobs"]} == {seed.job_id, seed.other_job_id}


def test_openapi_spec_is_served_with_every_reference_resolved(seed: Seed) -> None:
    response = seed.tech.get("/openapi.json")
    spec = response.json()
    assert "/v1/jobs/{job_id}/status" in spec["paths"] and "/v1/uploads/{upload_id}" in spec["paths"]
    assert "line_items" in spec["paths"]["/v1/jobs"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    referenced = set(re.findall(r"#/components/schemas/(\w+)", response.text))
    assert referenced and referenced <= set(spec["components"]["schemas"])
