"""Long-poll waits for what the harness acts on: a fault holding an answer, an upload's offset.

A scenario that races the app (a retry while the first attempt is held, a kill mid-upload) waits
here for the event itself rather than for a time, so its verdict does not depend on the machine's
load. ``GET /admin/tenants/{tid}/wait?until=...`` answers as soon as the event is observed, or with
``reached: false`` after ``timeout_s`` (at most MAX_WAIT_S: a caller with a longer deadline asks again).
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from harness.server import openapi
from harness.server.admin import tenant_or_404
from harness.server.auth import Principal, require_admin
from harness.server.db import Database
from harness.server.errors import ApiError
from harness.server.tus import current_offset

EVENTS = ("fault_holding", "upload_offset")
MAX_WAIT_S = 10.0
POLL_S = 0.005  # an in-memory counter and one indexed SQLite read: cheap beside a request

router = APIRouter(prefix="/admin", tags=["admin (harness)"])


class Observed(BaseModel):
    """Whether the event was observed, and what was seen last (``holding``, or ``offset``)."""

    until: str
    reached: bool
    observed: dict[str, int]


def upload_offset(db: Database, tenant_id: str, item_id: str) -> dict[str, int]:
    """The furthest offset the server holds of any upload of the device's item (0 before one exists)."""
    uploads = db.all("SELECT * FROM uploads WHERE tenant_id = ? AND item_id = ?", (tenant_id, item_id))
    return {"offset": max((current_offset(db, upload) for upload in uploads), default=0), "uploads": len(uploads)}


@router.get("/tenants/{tenant_id}/wait", response_model=None,
            responses={**openapi.success(200, Observed, "The event was observed, or timeout_s passed first."),
                       **openapi.refusals(401, 403, 404, 422)})  # 422: upload_offset without item_id and bytes
async def wait_for_event(
    tenant_id: str, request: Request,
    until: Literal[EVENTS] = Query(  # type: ignore[valid-type]
        description="fault_holding: a delay fault of the tenant holds an answer now (on a mutation route or"
                    " the batch: after its commit). upload_offset: the server holds at least `bytes` bytes"
                    " of the upload of the device's item `item_id`."),
    timeout_s: float = Query(5.0, gt=0, le=MAX_WAIT_S, description="Answer reached=false after this long."),
    item_id: str | None = Query(None, min_length=1, max_length=200, description="upload_offset: the item."),
    nbytes: int | None = Query(None, alias="bytes", ge=1, description="upload_offset: the offset to reach."),
    _: Principal = Depends(require_admin),
) -> dict[str, Any]:
    db: Database = request.app.state.db
    tenant_or_404(db, tenant_id)
    if until == "upload_offset" and (item_id is None or nbytes is None):
        raise ApiError(422, "validation_error", "until=upload_offset needs item_id and bytes,"
                       " e.g. ?until=upload_offset&item_id=<the device's item id>&bytes=100000")

    def observe() -> tuple[bool, dict[str, int]]:
        if until == "fault_holding":
            seen = request.app.state.faults.holding(tenant_id)
            return seen["holding"] > 0, seen
        seen = upload_offset(db, tenant_id, str(item_id))
        return seen["offset"] >= int(nbytes or 0), seen

    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout_s
    reached, seen = observe()
    while not reached and loop.time() < give_up:
        await asyncio.sleep(POLL_S)
        reached, seen = observe()
    return {"until": until, "reached": reached, "observed": seen}
