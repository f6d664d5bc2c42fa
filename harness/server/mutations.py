"""The mutations: one small apply function per route, each writing its ledger entry.

An apply function runs inside the caller's write transaction and returns ``(status, body)``;
it raises ApiError for a refusal (which the idempotency layer stores and replays like a success).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from harness.core import contract
from harness.server import payments
from harness.server.auth import OFFICE, TECHNICIAN, Principal, visible_job
from harness.server.db import new_id, utc_now
from harness.server.errors import ApiError


def whole_number(value: Any) -> Any:
    """JSON has one number type: 837.0 is the integer 837 (as for JSON Schema's "integer"), 837.5 is not."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


JsonInt = Annotated[int, BeforeValidator(whole_number)]  # strict otherwise: "837" and true are no integers


class Body(BaseModel):
    # lenient about extra fields (a newer client may send more), strict about types: "lon": false is no number
    model_config = ConfigDict(extra="ignore", strict=True)
    item_id: str = Field(min_length=1, max_length=200)


class StatusBody(Body):
    status: Literal[contract.JOB_STATUSES]  # type: ignore[valid-type]
    at: str


class NoteBody(Body):
    text: str = Field(min_length=1, max_length=20_000)
    at: str


class TimeEntryBody(Body):
    job_id: str | None = None
    entry: Literal[contract.TIME_ENTRY_KINDS]  # type: ignore[valid-type]
    at: str


class DocumentBody(Body):
    doc_type: Literal[contract.DOCUMENT_TYPES]  # type: ignore[valid-type]
    at: str


class PaymentBody(Body):
    job_id: str
    amount_cents: JsonInt = Field(gt=0, le=10_000_000)
    card_token: str = Field(min_length=1)
    at: str


class GpsBody(Body):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    at: str


class CustomerBody(Body):
    name: str = Field(min_length=1)
    address: str = ""
    phone: str = ""
    email: str = Field(min_length=3)


class LineItem(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    description: str
    quantity: float = Field(gt=0)
    unit_price_cents: JsonInt = Field(ge=0)


class JobBody(Body):
    customer_id: str
    technician_id: str
    title: str = Field(min_length=1)
    scheduled_for: str = Field(min_length=10)
    line_items: list[LineItem] = []


Apply = Callable[[sqlite3.Connection, Principal, dict[str, str], Any, str], tuple[int, dict[str, Any]]]


@dataclass(frozen=True)
class Mutation:
    method: str
    template: str
    kind: str | None  # ledger kind (None: office data, not in the ledger)
    model: type[Body]
    apply: Apply
    roles: tuple[str, ...] = (TECHNICIAN, OFFICE)
    status_code: int = 201

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template) + "$")


def record(conn: sqlite3.Connection, who: Principal, kind: str, item_id: str, key: str,
           job_id: str | None, content: dict[str, Any], payload: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO ledger (tenant_id, kind, item_id, idempotency_key, job_id, content_hash, applied_at, payload)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (who.tenant_id, kind, item_id, key, job_id, contract.content_hash(kind, content), utc_now(),
         json.dumps(payload)),
    )


def job_summary(conn: sqlite3.Connection, job: sqlite3.Row) -> dict[str, Any]:
    customer = conn.execute("SELECT * FROM customers WHERE id = ?", (job["customer_id"],)).fetchone()
    return {
        "id": job["id"], "title": job["title"], "status": job["status"], "scheduled_for": job["scheduled_for"],
        "technician_id": job["technician_id"],
        "customer": customer_summary(customer),
    }


def customer_summary(customer: sqlite3.Row | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    return {"id": customer["id"], "name": customer["name"], "address": customer["address"], "phone": customer["phone"]}


def apply_status(conn, who, params, body: StatusBody, key):
    job = visible_job(conn, who, params["job_id"])
    order = contract.JOB_STATUSES
    if order.index(body.status) <= order.index(job["status"]):
        raise ApiError(422, "illegal_transition",
                       f"job {job['id']} is {job['status']!r}; it can only move forward in {' -> '.join(order)},"
                       f" not to {body.status!r}")
    conn.execute("UPDATE jobs SET status = ? WHERE id = ?", (body.status, job["id"]))
    record(conn, who, contract.STATUS, body.item_id, key, job["id"], {"job_id": job["id"], "status": body.status},
           body.model_dump())
    job = conn.execute("SELECT * FROM jobs WHERE id = ?", (job["id"],)).fetchone()
    return 200, job_summary(conn, job)


def apply_note(conn, who, params, body: NoteBody, key):
    job = visible_job(conn, who, params["job_id"])
    note = {"id": new_id("note"), "item_id": body.item_id, "text": body.text, "at": body.at}
    conn.execute("INSERT INTO notes (id, tenant_id, job_id, item_id, text, at) VALUES (?, ?, ?, ?, ?, ?)",
                 (note["id"], who.tenant_id, job["id"], body.item_id, body.text, body.at))
    record(conn, who, contract.NOTE, body.item_id, key, job["id"], {"job_id": job["id"], "text": body.text},
           body.model_dump())
    return 201, note


def apply_time_entry(conn, who, params, body: TimeEntryBody, key):
    job_id = visible_job(conn, who, body.job_id)["id"] if body.job_id is not None else None
    entry = {"id": new_id("time"), "item_id": body.item_id, "job_id": job_id, "entry": body.entry, "at": body.at}
    record(conn, who, contract.TIME_ENTRY, body.item_id, key, job_id,
           {"job_id": job_id, "entry": body.entry, "at": body.at}, body.model_dump())
    return 201, entry


def apply_document(conn, who, params, body: DocumentBody, key):
    job = visible_job(conn, who, params["job_id"])
    send = {"id": new_id("doc"), "item_id": body.item_id, "job_id": job["id"], "doc_type": body.doc_type,
            "to": send_email(conn, who.tenant_id, job["id"], body.doc_type, body.item_id)}
    record(conn, who, contract.DOCUMENT_SEND, body.item_id, key, job["id"],
           {"job_id": job["id"], "doc_type": body.doc_type}, body.model_dump())
    return 201, send


def send_email(conn: sqlite3.Connection, tenant_id: str, job_id: str, doc_type: str, item_id: str) -> str:
    """The mail sink: one row per email the customer would receive."""
    row = conn.execute("SELECT c.email FROM jobs j JOIN customers c ON c.id = j.customer_id WHERE j.id = ?",
                       (job_id,)).fetchone()
    to = row["email"] if row else ""
    conn.execute("INSERT INTO emails (tenant_id, to_addr, job_id, doc_type, item_id, sent_at)"
                 " VALUES (?, ?, ?, ?, ?, ?)",
                 (tenant_id, to, job_id, doc_type, item_id, utc_now()))
    return to


def apply_payment(conn, who, params, body: PaymentBody, key):
    job = visible_job(conn, who, body.job_id)
    charge = payments.charge(conn, who.tenant_id, job["id"], body.item_id, body.amount_cents, body.card_token)
    record(conn, who, contract.PAYMENT, body.item_id, key, job["id"],
           {"job_id": job["id"], "amount_cents": body.amount_cents},
           body.model_dump(exclude={"card_token"}))
    return 201, charge


def apply_gps(conn, who, params, body: GpsBody, key):
    point = {"id": new_id("gps"), "item_id": body.item_id, "lat": body.lat, "lon": body.lon, "at": body.at}
    record(conn, who, contract.GPS, body.item_id, key, None, {"lat": body.lat, "lon": body.lon, "at": body.at},
           body.model_dump())
    return 201, point


def apply_customer(conn, who, params, body: CustomerBody, key):
    customer = {"id": new_id("cus"), **body.model_dump(exclude={"item_id"})}
    conn.execute("INSERT INTO customers (id, tenant_id, name, address, phone, email) VALUES (?, ?, ?, ?, ?, ?)",
                 (customer["id"], who.tenant_id, body.name, body.address, body.phone, body.email))
    return 201, customer


def apply_job(conn, who, params, body: JobBody, key):
    if conn.execute("SELECT 1 FROM customers WHERE id = ? AND tenant_id = ?",
                    (body.customer_id, who.tenant_id)).fetchone() is None:
        raise ApiError(404, "customer_not_found", f"no customer {body.customer_id!r} in this company")
    if conn.execute("SELECT 1 FROM users WHERE id = ? AND tenant_id = ? AND role = ?",
                    (body.technician_id, who.tenant_id, TECHNICIAN)).fetchone() is None:
        raise ApiError(404, "technician_not_found", f"no technician {body.technician_id!r} in this company")
    job_id = new_id("job")
    conn.execute(
        "INSERT INTO jobs (id, tenant_id, customer_id, technician_id, title, status, scheduled_for, line_items)"
        " VALUES (?, ?, ?, ?, ?, 'scheduled', ?, ?)",
        (job_id, who.tenant_id, body.customer_id, body.technician_id, body.title, body.scheduled_for,
         json.dumps([item.model_dump() for item in body.line_items])))
    return 201, job_summary(conn, conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone())


MUTATIONS: tuple[Mutation, ...] = (
    Mutation("POST", "/v1/jobs/{job_id}/status", contract.STATUS, StatusBody, apply_status, status_code=200),
    Mutation("POST", "/v1/jobs/{job_id}/notes", contract.NOTE, NoteBody, apply_note),
    Mutation("POST", "/v1/time-entries", contract.TIME_ENTRY, TimeEntryBody, apply_time_entry),
    Mutation("POST", "/v1/jobs/{job_id}/documents", contract.DOCUMENT_SEND, DocumentBody, apply_document),
    Mutation("POST", "/v1/payments", contract.PAYMENT, PaymentBody, apply_payment),
    Mutation("POST", "/v1/gps", contract.GPS, GpsBody, apply_gps),
    Mutation("POST", "/v1/customers", None, CustomerBody, apply_customer, roles=(OFFICE,)),
    Mutation("POST", "/v1/jobs", None, JobBody, apply_job, roles=(OFFICE,)),
)


def match(method: str, path: str) -> tuple[Mutation, dict[str, str]] | None:
    for mutation in MUTATIONS:
        found = mutation.pattern.match(path)
        if found and mutation.method == method.upper():
            return mutation, found.groupdict()
    return None
