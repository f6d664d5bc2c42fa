"""One scenario's own world: a tenant with its users, seeded jobs, a proxy and a device per technician."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable

from harness.network.control import Link
from harness.runner.adapters import BackendAdapter, DeviceAdapter, User
from harness.scenarios.model import Job
from harness.seed.data import Customer, make_company

DeviceFactory = Callable[..., DeviceAdapter]
CARD_TOKENS = {"ok": "tok_visa", "declined": "tok_decline"}  # harness/server/payments.py declines tok_decline


def today() -> date:
    return datetime.now(timezone.utc).date()


@dataclass
class SeededJob:
    """A job of the scenario: its id in the scenario, its id on the server, who has it, what it bills."""

    name: str
    server_id: str
    technician: str
    customer: dict[str, Any]
    line_items: list[dict[str, Any]]

    @property
    def amount_cents(self) -> int:
        return max(1, sum(round(item["quantity"] * item["unit_price_cents"]) for item in self.line_items))


@dataclass
class World:
    backend: BackendAdapter
    tenant_id: str
    office: User
    technicians: dict[str, User]
    seed: int
    link: Link | None = None
    jobs: dict[str, SeededJob] = field(default_factory=dict)
    devices: dict[str, DeviceAdapter] = field(default_factory=dict)
    setup_items: set[str] = field(default_factory=set)  # ledger entries the harness made, not a device
    customers_made: int = 0

    @classmethod
    async def create(cls, backend: BackendAdapter, name: str, technicians: tuple[str, ...], seed: int,
                     server_bugs: tuple[str, ...] = ()) -> World:
        tenant_id = await backend.create_tenant(f"{name} (seed {seed})")
        office = await backend.create_user(tenant_id, "office", "Office")
        users = {tech: await backend.create_user(tenant_id, "technician", tech) for tech in technicians}
        await backend.set_bugs(tenant_id, list(server_bugs))
        return cls(backend, tenant_id, office, users, seed)

    def job_id(self, name: str) -> str:
        return self.jobs[name].server_id

    def job_name(self, server_id: str | None) -> str | None:
        return next((job.name for job in self.jobs.values() if job.server_id == server_id), server_id)

    async def add_jobs(self, jobs: tuple[Job, ...] | list[Job]) -> None:
        """Create the scenario's jobs, each filled in from the seed where the scenario says nothing."""
        per_technician: dict[str, int] = {}
        for job in jobs:
            per_technician[job.technician] = per_technician.get(job.technician, 0) + 1
        company = make_company(self.seed, list(self.technicians), max(per_technician.values(), default=1), today())
        generated = {tech: [j for j in company.jobs if j.technician == tech] for tech in self.technicians}
        customers = {c.key: c for c in company.customers}
        for job in jobs:
            made = generated[job.technician].pop(0)
            await self.assign(job.id, job.technician, title=job.title or made.title,
                              customer={**_customer(customers[made.customer_key]), **(job.customer or {})},
                              line_items=list(job.line_items) if job.line_items is not None else made.line_items,
                              status=job.status)

    async def assign(self, name: str, technician: str, *, title: str | None = None,
                     customer: dict[str, Any] | None = None, line_items: list[dict[str, Any]] | None = None,
                     status: str = "scheduled") -> SeededJob:
        """The office creates the customer and the job (a new assignment when done mid-scenario)."""
        if customer is None or title is None or line_items is None:
            self.customers_made += 1
            company = make_company(self.seed * 1000 + self.customers_made, [technician], 1, today())
            made = company.jobs[0]
            customer = customer or _customer(company.customers[0])
            title = title or made.title
            line_items = made.line_items if line_items is None else line_items
        token = self.office.token
        created = await self.backend.office(token, "POST", "/v1/customers", {"item_id": str(uuid.uuid4()), **customer})
        answer = await self.backend.office(token, "POST", "/v1/jobs", {
            "item_id": str(uuid.uuid4()), "customer_id": created["id"],
            "technician_id": self.technicians[technician].user_id, "title": title,
            "scheduled_for": f"{today().isoformat()}T09:00:00Z", "line_items": line_items,
        })
        job = SeededJob(name, answer["id"], technician, customer, list(line_items))
        self.jobs[name] = job
        for move in ("en_route", "in_progress")[: ("scheduled", "en_route", "in_progress").index(status)]:
            # No office route sets a starting status, so the office moves the job as a technician would;
            # these entries are the harness's, not a device's, and are taken out of the ledger.
            item_id = f"setup-{uuid.uuid4()}"
            self.setup_items.add(item_id)
            at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            await self.backend.office(token, "POST", f"/v1/jobs/{job.server_id}/status",
                                      {"item_id": item_id, "status": move, "at": at})
        return job

    async def job_status(self, name: str) -> str:
        return str((await self.backend.office(self.office.token, "GET", f"/v1/jobs/{self.job_id(name)}"))["status"])

    async def ledger(self) -> dict[str, Any]:
        """The tenant's ledger without the entries the harness itself made during setup."""
        ledger = await self.backend.ledger(self.tenant_id)
        ledger["mutations"] = [m for m in ledger.get("mutations", []) if m.get("item_id") not in self.setup_items]
        return ledger

    async def start_devices(self, factory: DeviceFactory, stores: Path, bugs: tuple[str, ...] = ()) -> None:
        assert self.link is not None, "open the proxy before the devices"
        for index, (name, user) in enumerate(self.technicians.items()):
            device = factory(name, stores / name, self.link.base_url, user.token, seed=self.seed + index, bugs=bugs)
            self.devices[name] = device  # before it starts: a start that fails half way is closed too
            await device.start()

    async def close(self) -> None:
        """Close every device, then the proxy: an error (or a cancellation) in one does not keep the
        others open; the first such error is raised once all are closed (a cancellation first)."""
        errors: list[BaseException] = []
        for device in self.devices.values():
            try:
                await device.close()
            except BaseException as exc:  # raised below
                errors.append(exc)
        if self.link is not None:
            try:
                await self.link.delete()
            except Exception:  # the network backend may already be gone at shutdown
                pass
        if errors:
            raise next((e for e in errors if not isinstance(e, Exception)), errors[0])


def _customer(customer: Customer) -> dict[str, str]:
    return {"name": customer.name, "address": customer.address, "phone": customer.phone, "email": customer.email}


def item_rng(seed: int, index: int) -> random.Random:
    """The random source of one step: the same seed and step always draw the same values."""
    return random.Random(f"{seed}:{index}")
