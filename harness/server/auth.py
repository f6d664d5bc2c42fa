"""Who is calling: the admin (harness), an office user or a technician, from the bearer token."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import Request

from harness.server.errors import ApiError

ADMIN = "admin"
OFFICE = "office"
TECHNICIAN = "technician"
USER_ROLES = (OFFICE, TECHNICIAN)


@dataclass(frozen=True)
class Principal:
    role: str
    user_id: str = ""
    tenant_id: str = ""


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (lower-case header names)."""
    value = headers.get("authorization")
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def resolve(request: Request) -> Principal:
    token = bearer_token(request.headers)
    if token is None:
        raise ApiError(401, "unauthorized",
                       "missing or malformed Authorization header; send 'Authorization: Bearer <token>'")
    if not token.isascii():  # a token is a b64token (RFC 6750 §2.1): ASCII only
        raise ApiError(401, "unauthorized", "the bearer token has non-ASCII characters; send the token as given")
    state = request.app.state
    if secrets.compare_digest(token.encode(), state.admin_token.encode()):  # bytes: str must be ASCII
        return Principal(ADMIN)
    row = state.db.one("SELECT id, tenant_id, role FROM users WHERE token = ?", (token,))
    if row is None:
        raise ApiError(401, "unauthorized", "unknown token; create a user with POST /admin/tenants/{tid}/users")
    return Principal(row["role"], row["id"], row["tenant_id"])


def require_admin(request: Request) -> Principal:
    who = resolve(request)
    if who.role != ADMIN:
        raise ApiError(403, "forbidden", "this route needs the admin token")
    return who


def require_user(request: Request) -> Principal:
    """Any tenant user (office or technician); the admin token belongs to no tenant."""
    who = resolve(request)
    if who.role == ADMIN:
        raise ApiError(403, "forbidden", "the admin token has no tenant; use an office or technician token")
    return who


def require_office(request: Request) -> Principal:
    who = require_user(request)
    if who.role != OFFICE:
        raise ApiError(403, "forbidden", "this route is for office users; a technician token cannot call it")
    return who


def visible_job(conn: sqlite3.Connection, who: Principal, job_id: object) -> sqlite3.Row:
    """The job if this user may see it; 404 otherwise (no leak of another tenant's or tech's jobs)."""
    row = conn.execute("SELECT * FROM jobs WHERE id = ? AND tenant_id = ?", (str(job_id), who.tenant_id)).fetchone()
    if row is None or (who.role == TECHNICIAN and row["technician_id"] != who.user_id):
        raise ApiError(404, "job_not_found", f"no job {job_id!r} is visible to this user; check the job id")
    return row
