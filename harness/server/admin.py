"""Admin API for the harness: tenants, users and tokens, the ledger, fault hooks, seeded bugs."""

from __future__ import annotations

import json
import secrets
from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from harness.server import openapi
from harness.server.auth import USER_ROLES, Principal, require_admin
from harness.server.bugs import BUGS, unknown_bugs
from harness.server.db import Database, new_id
from harness.server.errors import ApiError
from harness.server.faults import FaultBody, parse_fault
from harness.server.json_body import reject_lone_surrogates


async def text_is_unicode(request: Request, _: Principal = Depends(require_admin)) -> None:
    """FastAPI reads these bodies with Python's json, which lets a lone surrogate through (see json_body);
    checked after the token, so an unauthorized caller learns nothing about its body."""
    if not await request.body():
        return
    try:
        data = await request.json()  # parsed once already by FastAPI, cached by Starlette
    except ValueError:
        return  # not JSON: FastAPI's own validation answers it
    reject_lone_surrogates(data)


router = APIRouter(prefix="/admin", tags=["admin (harness)"], dependencies=[Depends(text_is_unicode)])


class TenantBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)


class UserBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal[USER_ROLES]  # type: ignore[valid-type]
    name: str = Field(min_length=1, max_length=200)


def tenant_or_404(db: Database, tenant_id: str) -> None:
    if db.one("SELECT 1 FROM tenants WHERE id = ?", (tenant_id,)) is None:
        raise ApiError(404, "tenant_not_found", f"no tenant {tenant_id!r}; create one with POST /admin/tenants")


@router.post("/tenants", status_code=201, response_model=None, responses={
    **openapi.success(201, openapi.TenantCreated, "The tenant."), **openapi.refusals(400, 401, 403, 413, 422)})
def create_tenant(body: TenantBody, request: Request, _: Principal = Depends(require_admin)) -> dict[str, str]:
    tenant_id = new_id("ten")
    with request.app.state.db.write() as conn:
        conn.execute("INSERT INTO tenants (id, name) VALUES (?, ?)", (tenant_id, body.name))
    return {"tenant_id": tenant_id}


@router.post("/tenants/{tenant_id}/users", status_code=201, response_model=None, responses={
    **openapi.success(201, openapi.UserCreated, "The user and their token."),
    **openapi.refusals(400, 401, 403, 404, 413, 422)})
def create_user(tenant_id: str, body: UserBody, request: Request,
                _: Principal = Depends(require_admin)) -> dict[str, str]:
    db: Database = request.app.state.db
    tenant_or_404(db, tenant_id)
    user = {"user_id": new_id("usr"), "token": secrets.token_urlsafe(24)}
    with db.write() as conn:
        conn.execute("INSERT INTO users (id, tenant_id, role, name, token) VALUES (?, ?, ?, ?, ?)",
                     (user["user_id"], tenant_id, body.role, body.name, user["token"]))
    return user


@router.get("/tenants/{tenant_id}/ledger", response_model=None, responses={
    **openapi.success(200, openapi.Ledger, "Everything applied, in order."), **openapi.refusals(401, 403, 404)})
def ledger(tenant_id: str, request: Request, _: Principal = Depends(require_admin)) -> dict[str, Any]:
    db: Database = request.app.state.db
    tenant_or_404(db, tenant_id)
    with db.read() as conn:
        mutations = [{**dict(row), "payload": json.loads(row["payload"])} for row in conn.execute(
            "SELECT seq, kind, item_id, idempotency_key, job_id, content_hash, applied_at, payload FROM ledger"
            " WHERE tenant_id = ? ORDER BY seq", (tenant_id,))]
        emails = [dict(row) for row in conn.execute(
            "SELECT seq, to_addr AS \"to\", job_id, doc_type, item_id, sent_at FROM emails WHERE tenant_id = ?"
            " ORDER BY seq", (tenant_id,))]
        charges = [dict(row) for row in conn.execute(
            "SELECT seq, job_id, item_id, amount_cents, charged_at FROM charges WHERE tenant_id = ? ORDER BY seq",
            (tenant_id,))]
        uploads = [dict(row) for row in conn.execute(
            "SELECT id, item_id, kind, job_id, sha256, length, state, media_id, created_at FROM uploads"
            " WHERE tenant_id = ? ORDER BY created_at, id", (tenant_id,))]
    return {"mutations": mutations, "emails": emails, "charges": charges, "uploads": uploads}


@router.post("/tenants/{tenant_id}/faults", status_code=201, response_model=None, responses={
    **openapi.success(201, openapi.Faults, "The tenant's faults."), **openapi.refusals(400, 401, 403, 404, 413, 422)})
def add_fault(tenant_id: str, request: Request, fault: FaultBody,
              _: Principal = Depends(require_admin)) -> dict[str, Any]:
    tenant_or_404(request.app.state.db, tenant_id)
    request.app.state.faults.add(tenant_id, parse_fault(fault))
    return {"faults": request.app.state.faults.list(tenant_id)}


@router.get("/tenants/{tenant_id}/faults", response_model=None, responses={
    **openapi.success(200, openapi.Faults, "The tenant's faults."), **openapi.refusals(401, 403, 404)})
def list_faults(tenant_id: str, request: Request, _: Principal = Depends(require_admin)) -> dict[str, Any]:
    tenant_or_404(request.app.state.db, tenant_id)
    return {"faults": request.app.state.faults.list(tenant_id)}


@router.delete("/tenants/{tenant_id}/faults", response_model=None, responses={
    **openapi.success(200, openapi.Faults, "No faults left."), **openapi.refusals(401, 403, 404)})
def clear_faults(tenant_id: str, request: Request, _: Principal = Depends(require_admin)) -> dict[str, Any]:
    tenant_or_404(request.app.state.db, tenant_id)
    request.app.state.faults.clear(tenant_id)
    return {"faults": []}


SWITCHES_BODY = openapi.switches(BUGS)


@router.put("/tenants/{tenant_id}/bugs", response_model=None, responses={
    **openapi.success(200, openapi.Bugs, "The tenant's switches."), **openapi.refusals(400, 401, 403, 404, 413, 422)})
def set_bugs(tenant_id: str, request: Request,
             switches: dict[str, StrictBool] = Body(json_schema_extra=SWITCHES_BODY),
             _: Principal = Depends(require_admin)) -> dict[str, Any]:
    db: Database = request.app.state.db
    tenant_or_404(db, tenant_id)
    unknown = unknown_bugs(list(switches))
    if unknown:
        raise ApiError(422, "unknown_bug", f"unknown seeded bug(s) {', '.join(unknown)}; known: {', '.join(BUGS)}")
    bugs = {**db.tenant_bugs(tenant_id), **switches}
    with db.write() as conn:
        conn.execute("UPDATE tenants SET bugs = ? WHERE id = ?", (json.dumps(bugs), tenant_id))
    return {"bugs": bugs}


@router.get("/bugs", response_model=None, responses={
    **openapi.success(200, openapi.BugCatalogue, "The seeded bugs."), **openapi.refusals(401, 403)})
def list_bugs(_: Principal = Depends(require_admin)) -> dict[str, Any]:
    return {"bugs": [{"name": b.name, "mistake": b.mistake, "expected_violation": b.expected_violation}
                     for b in BUGS.values()]}
