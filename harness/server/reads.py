"""Read routes: schedule, job details, customer history, media download."""

from __future__ import annotations

import datetime
import json
import re
import sqlite3
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse

from harness.server import openapi
from harness.server.auth import TECHNICIAN, Principal, require_user, visible_job
from harness.server.db import Database
from harness.server.errors import ApiError
from harness.server.mutations import customer_summary, job_summary
from harness.server.tus import media_path

router = APIRouter(prefix="/v1", tags=["reads"])
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def media_view(row: sqlite3.Row) -> dict[str, Any]:
    view = {"id": row["id"], "item_id": row["item_id"], "kind": row["kind"], "sha256": row["sha256"],
            "size": row["size"], "filename": row["filename"], "url": f"/v1/media/{row['id']}/content"}
    if row["kind"] == "signature":
        view["signer_name"] = row["signer_name"]
    return view


def visible_jobs_sql(who: Principal) -> tuple[str, tuple[Any, ...]]:
    if who.role == TECHNICIAN:
        return "tenant_id = ? AND technician_id = ?", (who.tenant_id, who.user_id)
    return "tenant_id = ?", (who.tenant_id,)


@router.get("/schedule", response_model=None, responses={**openapi.success(200, openapi.Schedule, "The day's jobs."),
                                                         **openapi.refusals(401, 403, 422)})
def schedule(request: Request, date: str = Query(json_schema_extra=openapi.CALENDAR_DATE),
             who: Principal = Depends(require_user)) -> dict[str, Any]:
    try:
        if not DATE.match(date):
            raise ValueError(date)
        datetime.date.fromisoformat(date)
    except ValueError:
        raise ApiError(422, "validation_error", f"date must be a calendar date YYYY-MM-DD, got {date!r}") from None
    db: Database = request.app.state.db
    where, params = visible_jobs_sql(who)
    with db.read() as conn:
        rows = conn.execute(f"SELECT * FROM jobs WHERE {where} AND substr(scheduled_for, 1, 10) = ?"
                            " ORDER BY scheduled_for, id", (*params, date)).fetchall()
        return {"date": date, "jobs": [job_summary(conn, row) for row in rows]}


@router.get("/jobs/{job_id}", response_model=None, responses={**openapi.success(200, openapi.JobDetails, "The job."),
                                                             **openapi.refusals(401, 403, 404)})
def job_details(job_id: str, request: Request, who: Principal = Depends(require_user)) -> dict[str, Any]:
    db: Database = request.app.state.db
    with db.read() as conn:
        job = visible_job(conn, who, job_id)
        details = job_summary(conn, job)
        details["line_items"] = json.loads(job["line_items"])
        details["notes"] = [dict(n) for n in conn.execute(
            "SELECT id, item_id, text, at FROM notes WHERE job_id = ? ORDER BY rowid", (job_id,))]
        media = [media_view(m) for m in conn.execute("SELECT * FROM media WHERE job_id = ? ORDER BY created_at, id",
                                                     (job_id,))]
        details["photos"] = [m for m in media if m["kind"] == "photo"]
        signatures = [m for m in media if m["kind"] == "signature"]
        details["signature"] = signatures[-1] if signatures else None
        return details


@router.get("/customers/{customer_id}/history", response_model=None, responses={
    **openapi.success(200, openapi.CustomerHistory, "The customer and their jobs, latest first."),
    **openapi.refusals(401, 403, 404)})
def customer_history(customer_id: str, request: Request, who: Principal = Depends(require_user)) -> dict[str, Any]:
    db: Database = request.app.state.db
    where, params = visible_jobs_sql(who)
    with db.read() as conn:
        customer = conn.execute("SELECT * FROM customers WHERE id = ? AND tenant_id = ?",
                                (customer_id, who.tenant_id)).fetchone()
        visible = conn.execute(f"SELECT 1 FROM jobs WHERE {where} AND customer_id = ?",
                               (*params, customer_id)).fetchone()
        if customer is None or visible is None:
            raise ApiError(404, "customer_not_found", f"no customer {customer_id!r} is visible to this user")
        rows = conn.execute("SELECT * FROM jobs WHERE customer_id = ? ORDER BY scheduled_for DESC, id",
                            (customer_id,)).fetchall()
        return {"customer": customer_summary(customer), "jobs": [job_summary(conn, row) for row in rows]}


@router.get("/media/{media_id}/content", response_class=FileResponse, responses={
    **openapi.MEDIA_CONTENT, **openapi.refusals(401, 403, 404)})
def media_content(media_id: str, request: Request, who: Principal = Depends(require_user)) -> FileResponse:
    db: Database = request.app.state.db
    with db.read() as conn:
        row = conn.execute("SELECT * FROM media WHERE id = ? AND tenant_id = ?", (media_id, who.tenant_id)).fetchone()
        if row is not None:
            visible_job(conn, who, row["job_id"])
    if row is None:
        raise ApiError(404, "media_not_found", f"no media {media_id!r} is visible to this user")
    return FileResponse(media_path(db, media_id), media_type="application/octet-stream",
                        headers={"X-Content-SHA256": row["sha256"]})
