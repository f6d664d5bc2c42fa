"""The fake card processor: keeps its own table of charges; ``tok_decline`` is declined (402)."""

from __future__ import annotations

import sqlite3
from typing import Any

from harness.server.db import new_id, utc_now
from harness.server.errors import ApiError

DECLINED_TOKEN = "tok_decline"


def charge(conn: sqlite3.Connection, tenant_id: str, job_id: str, item_id: str, amount_cents: int,
           card_token: str) -> dict[str, Any]:
    if card_token == DECLINED_TOKEN:
        raise ApiError(402, "card_declined", "the card was declined by the processor; ask for another card")
    charged_at = utc_now()
    cursor = conn.execute(
        "INSERT INTO charges (tenant_id, job_id, item_id, amount_cents, card_token, charged_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (tenant_id, job_id, item_id, amount_cents, card_token, charged_at))
    return {"id": new_id("ch"), "seq": cursor.lastrowid, "job_id": job_id, "item_id": item_id,
            "amount_cents": amount_cents, "charged_at": charged_at}
