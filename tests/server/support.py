"""Helpers of the reference server's tests: seed a tenant, build clients, send mutations."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import httpx

TODAY = "2026-11-25"


@dataclass
class Seed:
    """A tenant with an office user, two technicians, a customer and one job per technician."""

    url: str
    admin: httpx.Client
    tenant_id: str
    office: httpx.Client
    tech: httpx.Client
    tech_token: str
    other_tech: httpx.Client
    tech_id: str
    other_tech_id: str
    customer_id: str
    job_id: str
    other_job_id: str
    upload: str = ""  # set by tests that need an existing upload or media record
    media_id: str = ""

    def ledger(self) -> dict[str, Any]:
        response = self.admin.get(f"/admin/tenants/{self.tenant_id}/ledger")
        response.raise_for_status()
        return response.json()

    def fault(self, **fault: Any) -> None:
        self.admin.post(f"/admin/tenants/{self.tenant_id}/faults", json=fault).raise_for_status()

    def bugs(self, **switches: bool) -> None:
        self.admin.put(f"/admin/tenants/{self.tenant_id}/bugs", json=switches).raise_for_status()


def client(url: str, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, headers=headers, timeout=10.0)


def mutate(c: httpx.Client, path: str, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    """A mutation with a fresh Idempotency-Key (or the given one)."""
    return c.post(path, json=body, headers={"Idempotency-Key": key or str(uuid.uuid4())})


def item(**fields: Any) -> dict[str, Any]:
    return {"item_id": str(uuid.uuid4()), "at": f"{TODAY}T09:00:00Z", **fields}


def make_seed(url: str, admin_token: str) -> Seed:
    admin = client(url, admin_token)
    tenant_id = admin.post("/admin/tenants", json={"name": "Acme Plumbing"}).json()["tenant_id"]

    def user(role: str, name: str) -> tuple[str, str, httpx.Client]:
        created = admin.post(f"/admin/tenants/{tenant_id}/users", json={"role": role, "name": name}).json()
        return created["user_id"], created["token"], client(url, created["token"])

    _, _, office = user("office", "Olga Office")
    tech_id, tech_token, tech = user("technician", "Tom Tech")
    other_tech_id, _, other_tech = user("technician", "Tina Tech")
    customer = mutate(office, "/v1/customers", {"item_id": str(uuid.uuid4()), "name": "Carl Customer",
                                                "address": "1 Main St", "phone": "555-0100",
                                                "email": "carl@example.com"}).json()

    def job(tech: str, title: str) -> str:
        return mutate(office, "/v1/jobs", {
            "item_id": str(uuid.uuid4()), "customer_id": customer["id"], "technician_id": tech, "title": title,
            "scheduled_for": f"{TODAY}T10:00:00Z",
            "line_items": [{"description": "Valve", "quantity": 1, "unit_price_cents": 4500}]}).json()["id"]

    return Seed(url, admin, tenant_id, office, tech, tech_token, other_tech, tech_id, other_tech_id, customer["id"],
                job(tech_id, "Fix the leak"), job(other_tech_id, "Install heater"))


TUS = {"Tus-Resumable": "1.0.0"}


def tus_metadata(**meta: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())


def create_upload(c: httpx.Client, job_id: str, data: bytes, item_id: str | None = None, kind: str = "photo",
                  sha256: str | None = None, **extra: str) -> str:
    """tus creation; returns the upload's path."""
    meta = {"item_id": item_id or str(uuid.uuid4()), "kind": kind, "job_id": job_id, "filename": "photo.jpg",
            "sha256": sha256 or hashlib.sha256(data).hexdigest(), **extra}
    response = c.post("/v1/uploads", headers={**TUS, "Upload-Length": str(len(data)),
                                              "Upload-Metadata": tus_metadata(**meta)})
    assert response.status_code == 201, response.text
    return response.headers["Location"]


def patch(c: httpx.Client, location: str, offset: int, chunk: bytes, **headers: str) -> httpx.Response:
    return c.patch(location, content=chunk, headers={**TUS, "Upload-Offset": str(offset),
                                                     "Content-Type": "application/offset+octet-stream", **headers})


def head_offset(c: httpx.Client, location: str) -> int:
    response = c.head(location, headers=TUS)
    assert response.status_code == 200, response.status_code
    return int(response.headers["Upload-Offset"])


def open_patch(url: str, token: str, location: str, offset: int, total: int, sent: bytes) -> socket.socket:
    """A raw PATCH announcing ``total`` body bytes of which only ``sent`` go out; the socket stays open."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=5)
    head = (f"PATCH {location} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\n"
            f"Content-Type: application/offset+octet-stream\r\nContent-Length: {total}\r\n\r\n")
    sock.sendall(head.encode() + sent)
    return sock


def cut_patch(url: str, token: str, location: str, offset: int, total: int, sent: bytes) -> None:
    """A PATCH whose connection dies after ``sent``."""
    with open_patch(url, token, location, offset, total, sent):
        time.sleep(0.05)


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


async def committed(seed: Seed, kind: str, count: int) -> None:
    """Wait (at most 10 s) until the ledger holds ``count`` entries of ``kind``."""
    def applied() -> int:
        return sum(1 for m in seed.ledger()["mutations"] if m["kind"] == kind)

    async with asyncio.timeout(10):
        while await asyncio.to_thread(applied) < count:
            await asyncio.sleep(0.02)
