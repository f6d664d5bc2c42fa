"""Bodies refuse what their schema in /openapi.json refuses (JSON types, unknown fault fields), and a
405 names every method of its path: what schemathesis found the server accepting or leaving out."""

from __future__ import annotations

from typing import Any

import pytest

from .support import Seed, item, mutate


@pytest.mark.parametrize("path, body", [
    ("/v1/gps", item(lat=1.0, lon=False)),
    ("/v1/gps", item(lat="1.5", lon=2.0)),
    ("/v1/payments", item(job_id="job_x", amount_cents="837", card_token="tok_ok")),
    ("/v1/payments", item(job_id="job_x", amount_cents=True, card_token="tok_ok")),
])
def test_a_mutation_field_of_the_wrong_json_type_is_422(seed: Seed, path: str, body: dict[str, Any]) -> None:
    response = mutate(seed.tech, path, body)
    assert response.status_code == 422 and response.json()["error"]["code"] == "validation_error", response.text


def test_a_whole_float_is_an_integer(seed: Seed) -> None:
    response = mutate(seed.tech, "/v1/payments", item(job_id=seed.job_id, amount_cents=837.0, card_token="tok_ok"))
    assert response.status_code == 201 and response.json()["amount_cents"] == 837


@pytest.mark.parametrize("fault", [
    {"action": "status", "status": "503"},
    {"action": "status", "count": True},
    {"action": "delay", "retry_after": 2},
    {"action": "status", "until": "retried"},
    {"action": "commit_then_fail", "seconds": 1},
    {"action": "status", "retry_afer": 2},
])
def test_a_fault_field_of_the_wrong_type_or_action_is_422(seed: Seed, fault: dict[str, Any]) -> None:
    response = seed.admin.post(f"/admin/tenants/{seed.tenant_id}/faults", json=fault)
    assert response.status_code == 422 and response.json()["error"]["code"] == "validation_error", response.text
    assert seed.admin.get(f"/admin/tenants/{seed.tenant_id}/faults").json()["faults"] == []


def test_a_fault_with_its_own_fields_is_taken(seed: Seed) -> None:
    response = seed.admin.post(f"/admin/tenants/{seed.tenant_id}/faults",
                               json={"route": "POST /v1/gps", "action": "status", "status": 503, "retry_after": 2,
                                     "count": 1.0})
    assert response.status_code == 201, response.text
    assert response.json()["faults"][0]["count"] == 1


def test_a_bug_switch_that_is_not_a_json_boolean_is_422(seed: Seed) -> None:
    response = seed.admin.put(f"/admin/tenants/{seed.tenant_id}/bugs", json={"email_per_retry": 1})
    assert response.status_code == 422 and response.json()["error"]["code"] == "validation_error", response.text


def test_a_405_allows_every_method_of_its_path(seed: Seed) -> None:
    response = seed.admin.request("PATCH", f"/admin/tenants/{seed.tenant_id}/faults")
    assert response.status_code == 405
    assert response.headers["Allow"] == "DELETE, GET, POST"


@pytest.mark.parametrize("route, taken", [
    ("*", True),
    ("POST /v1/batch", True),
    ("PATCH /v1/uploads/{upload_id}", True),
    ("GET /x\x1c", False),  # a space to Python's \s, not to JSON Schema's (ECMA) regex
    ("GET /x\n", False),
    ("GET /caf\u00e9", False),
    ("GET /a b", False),
])
def test_a_fault_route_is_taken_exactly_when_the_documents_pattern_takes_it(
        seed: Seed, route: str, taken: bool) -> None:
    import jsonschema_rs  # schemathesis's validator: the regex dialect of the OpenAPI document's readers

    pattern = seed.admin.get("/openapi.json").json()["components"]["schemas"]["StatusFault"]["properties"]["route"]
    assert jsonschema_rs.is_valid({"type": "string", "pattern": pattern["pattern"]}, route) is taken
    response = seed.admin.post(f"/admin/tenants/{seed.tenant_id}/faults",
                               json={"route": route, "action": "status", "status": 503})
    assert (response.status_code == 201) is taken, response.text
