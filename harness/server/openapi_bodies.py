"""The success bodies /openapi.json declares, for openapi.py (documentation only: the routes build
their answers as dicts, FastAPI never filters one through these models)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from harness.core import contract


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")  # documents the fields that are there; a newer server may add more


class CustomerSummary(Open):
    id: str
    name: str
    address: str
    phone: str


class JobSummary(Open):
    id: str
    title: str
    status: Literal[contract.JOB_STATUSES]  # type: ignore[valid-type]
    scheduled_for: str
    technician_id: str
    customer: CustomerSummary | None


class Media(Open):
    id: str
    item_id: str
    kind: Literal[contract.MEDIA_KINDS]  # type: ignore[valid-type]
    sha256: str
    size: int
    filename: str | None
    url: str


class Note(Open):
    id: str
    item_id: str
    text: str
    at: str


class JobDetails(JobSummary):
    line_items: list[dict[str, Any]]
    notes: list[Note]
    photos: list[Media]
    signature: Media | None


class Schedule(Open):
    date: str
    jobs: list[JobSummary]


class CustomerHistory(Open):
    customer: CustomerSummary
    jobs: list[JobSummary]


class TimeEntry(Open):
    id: str
    item_id: str
    job_id: str | None
    entry: Literal[contract.TIME_ENTRY_KINDS]  # type: ignore[valid-type]
    at: str


class DocumentSend(Open):
    id: str
    item_id: str
    job_id: str
    doc_type: Literal[contract.DOCUMENT_TYPES]  # type: ignore[valid-type]
    to: str


class Charge(Open):
    id: str
    seq: int
    job_id: str
    item_id: str
    amount_cents: int
    charged_at: str


class GpsPoint(Open):
    id: str
    item_id: str
    lat: float
    lon: float
    at: str


class Customer(Open):
    id: str
    name: str
    address: str
    phone: str
    email: str


MUTATION_RESULTS: dict[str, type[BaseModel]] = {
    "/v1/jobs/{job_id}/status": JobSummary, "/v1/jobs/{job_id}/notes": Note, "/v1/time-entries": TimeEntry,
    "/v1/jobs/{job_id}/documents": DocumentSend, "/v1/payments": Charge, "/v1/gps": GpsPoint,
    "/v1/customers": Customer, "/v1/jobs": JobSummary,
}


class BatchResult(Open):
    key: str | None
    status: int
    body: dict[str, Any]
    replayed: bool


class BatchResults(Open):
    results: list[BatchResult]


class Health(Open):
    status: Literal["ok"]


# -- the admin API's --------------------------------------------------------------------------------
class TenantCreated(Open):
    tenant_id: str


class UserCreated(Open):
    user_id: str
    token: str


class LedgerEntry(Open):
    seq: int
    kind: str
    item_id: str
    idempotency_key: str
    job_id: str | None
    content_hash: str
    applied_at: str
    payload: dict[str, Any]


class Ledger(Open):
    mutations: list[LedgerEntry]
    emails: list[dict[str, Any]]
    charges: list[dict[str, Any]]
    uploads: list[dict[str, Any]]


class FaultView(Open):
    route: str
    action: str
    status: int
    retry_after: float | None
    seconds: float
    count: int | None


class Faults(Open):
    faults: list[FaultView]


class Bugs(Open):
    bugs: dict[str, bool]


class BugInfo(Open):
    name: str
    mistake: str
    expected_violation: str


class BugCatalogue(Open):
    bugs: list[BugInfo]
