"""The authorization matrix: role x route -> status; a refused request touches nothing."""

from __future__ import annotations

import uuid
from typing import Any, Callable, Iterator

import httpx
import pytest

from harness.server.running import InProcessServer

from .support import TODAY, TUS, Seed, client, create_upload, item, make_seed, patch, tus_metadata

ROLES = ("anonymous", "bad_token", "admin", "office", "tech", "other_tech", "foreign_office")


@pytest.fixture(scope="module")
def world(server: InProcessServer) -> Iterator[dict[str, Any]]:
    home, foreign = make_seed(server.url, server.admin_token), make_seed(server.url, server.admin_token)
    photo = b"a photo"
    home.media_id = patch(home.tech, create_upload(home.tech, home.job_id, photo), 0, photo).headers["Media-Id"]
    clients = {"anonymous": client(server.url, None), "bad_token": client(server.url, "not-a-token"),
               "admin": home.admin, "office": home.office, "tech": home.tech, "other_tech": home.other_tech,
               "foreign_office": foreign.office}
    yield {"home": home, "clients": clients}
    for c in clients.values():
        c.close()


def tus_create(c: httpx.Client, seed: Seed) -> httpx.Response:
    meta = tus_metadata(item_id=str(uuid.uuid4()), kind="photo", job_id=seed.job_id, sha256="0" * 64)
    return c.post("/v1/uploads", headers={**TUS, "Upload-Length": "10", "Upload-Metadata": meta})


def post(path: Callable[[Seed], str], body: Callable[[Seed], dict]) -> Callable[[httpx.Client, Seed], httpx.Response]:
    return lambda c, s: c.post(path(s), json=body(s), headers={"Idempotency-Key": str(uuid.uuid4())})


ROUTES: dict[str, Callable[[httpx.Client, Seed], httpx.Response]] = {
    "health": lambda c, s: c.get("/health"),
    "schedule": lambda c, s: c.get("/v1/schedule", params={"date": TODAY}),
    "job": lambda c, s: c.get(f"/v1/jobs/{s.job_id}"),
    "history": lambda c, s: c.get(f"/v1/customers/{s.customer_id}/history"),
    "media": lambda c, s: c.get(f"/v1/media/{s.media_id}/content"),
    "note": post(lambda s: f"/v1/jobs/{s.job_id}/notes", lambda s: item(text="hi")),
    "payment": post(lambda s: "/v1/payments", lambda s: item(job_id=s.job_id, amount_cents=100, card_token="tok_visa")),
    "batch": lambda c, s: c.post("/v1/batch", json={"items": [
        {"key": str(uuid.uuid4()), "path": f"/v1/jobs/{s.job_id}/notes", "body": item(text="batched")}]}),
    "upload": tus_create,
    "new_customer": post(lambda s: "/v1/customers", lambda s: item(name="N", email="n@example.com")),
    "new_job": post(lambda s: "/v1/jobs", lambda s: item(customer_id=s.customer_id, technician_id=s.tech_id,
                                                        title="T", scheduled_for=f"{TODAY}T12:00:00Z")),
    "ledger": lambda c, s: c.get(f"/admin/tenants/{s.tenant_id}/ledger"),
    "new_tenant": lambda c, s: c.post("/admin/tenants", json={"name": "x"}),
    "faults": lambda c, s: c.get(f"/admin/tenants/{s.tenant_id}/faults"),
}

# expected status per role, in the order of ROLES
MATRIX: dict[str, tuple[int, ...]] = {
    #               anon bad  admin office tech other foreign
    "health":       (200, 200, 200, 200, 200, 200, 200),
    "schedule":     (401, 401, 403, 200, 200, 200, 200),
    "job":          (401, 401, 403, 200, 200, 404, 404),
    "history":      (401, 401, 403, 200, 200, 200, 404),
    "media":        (401, 401, 403, 200, 200, 404, 404),
    "note":         (401, 401, 403, 201, 201, 404, 404),
    "payment":      (401, 401, 403, 201, 201, 404, 404),
    "batch":        (401, 401, 403, 200, 200, 200, 200),
    "upload":       (401, 401, 403, 201, 201, 404, 404),
    "new_customer": (401, 401, 403, 201, 403, 403, 201),
    "new_job":      (401, 401, 403, 201, 403, 403, 404),
    "ledger":       (401, 401, 200, 403, 403, 403, 403),
    "new_tenant":   (401, 401, 201, 403, 403, 403, 403),
    "faults":       (401, 401, 200, 403, 403, 403, 403),
}
CASES = [(route, role, expected) for route, row in MATRIX.items() for role, expected in zip(ROLES, row)]


@pytest.mark.parametrize(("route", "role", "expected"), CASES, ids=[f"{r}-{o}" for r, o, _ in CASES])
def test_authorization_matrix(world: dict[str, Any], route: str, role: str, expected: int) -> None:
    home: Seed = world["home"]
    before = home.ledger()
    response = ROUTES[route](world["clients"][role], home)
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert set(response.json()["error"]) == {"code", "message"}
        assert home.ledger() == before


def test_batch_items_of_a_foreign_job_are_refused_per_item(world: dict[str, Any]) -> None:
    home: Seed = world["home"]
    before = home.ledger()
    results = ROUTES["batch"](world["clients"]["other_tech"], home).json()["results"]
    assert [r["status"] for r in results] == [404]
    assert home.ledger() == before


def test_foreign_office_schedule_does_not_show_other_tenants_jobs(world: dict[str, Any]) -> None:
    home: Seed = world["home"]
    jobs = world["clients"]["foreign_office"].get("/v1/schedule", params={"date": TODAY}).json()["jobs"]
    assert home.job_id not in {j["id"] for j in jobs}


NON_ASCII_TOKENS = {"utf8": "Bearer tök€n".encode(), "latin1": "Bearer t\xe9st".encode("latin-1")}
AUTHENTICATED = [route for route in ROUTES if route != "health"]


@pytest.mark.parametrize("token", list(NON_ASCII_TOKENS))
@pytest.mark.parametrize("route", AUTHENTICATED)
def test_non_ascii_bearer_token_is_401_on_every_authenticated_route(world: dict[str, Any], route: str,
                                                                     token: str) -> None:
    home: Seed = world["home"]
    before = home.ledger()
    with httpx.Client(base_url=home.url, headers={"Authorization": NON_ASCII_TOKENS[token]}, timeout=10) as c:
        response = ROUTES[route](c, home)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthorized"
    assert home.ledger() == before
