"""Seed a tenant on the real reference server: an office, a technician, a customer, two jobs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class World:
    url: str
    admin_token: str
    tenant_id: str
    tech_token: str
    office_token: str
    customer_id: str
    job_ids: list[str]

    def ledger(self) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/admin/tenants/{self.tenant_id}/ledger",
                             headers={"Authorization": f"Bearer {self.admin_token}"}, timeout=10)
        response.raise_for_status()
        return response.json()

    def admin(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return httpx.request(method, f"{self.url}/admin/tenants/{self.tenant_id}{path}", json=body,
                             headers={"Authorization": f"Bearer {self.admin_token}"}, timeout=10)


def _post(url: str, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{url}{path}", json=body, timeout=10, headers={
        "Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201, response.text
    return response.json()


def seed_world(url: str, admin_token: str, jobs: int = 2) -> World:
    tenant_id = _post(url, admin_token, "/admin/tenants", {"name": "acme"})["tenant_id"]
    office = _post(url, admin_token, f"/admin/tenants/{tenant_id}/users", {"role": "office", "name": "Olga"})
    tech = _post(url, admin_token, f"/admin/tenants/{tenant_id}/users", {"role": "technician", "name": "Tom"})
    customer = _post(url, office["token"], "/v1/customers", {
        "item_id": str(uuid.uuid4()), "name": "Ada", "address": "1 Main St", "phone": "555-0100",
        "email": "ada@example.com"})
    job_ids = [
        _post(url, office["token"], "/v1/jobs", {
            "item_id": str(uuid.uuid4()), "customer_id": customer["id"], "technician_id": tech["user_id"],
            "title": f"Boiler service {n}", "scheduled_for": "2026-11-25T09:00:00Z",
            "line_items": [{"description": "labour", "quantity": 1, "unit_price_cents": 9000}]})["id"]
        for n in range(jobs)
    ]
    return World(url, admin_token, tenant_id, tech["token"], office["token"], customer["id"], job_ids)
