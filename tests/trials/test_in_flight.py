"""The --kill-in-flight evidence: the server's ledger read from its database file, the device's queue."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from harness.core.errors import HarnessError
from harness.server.db import Database
from harness.trials.in_flight import applied_count, server_committed_more


def add_ledger_row(db: Database, tenant_id: str) -> None:
    with db.write() as conn:
        conn.execute("INSERT INTO ledger (tenant_id, kind, content_hash, applied_at, payload)"
                     " VALUES (?, 'note', 'h', 't', '{}')", (tenant_id,))


async def test_the_wait_ends_once_the_server_commits_a_row_of_this_tenant(tmp_path: Path) -> None:
    db = Database(tmp_path / "server.db")
    add_ledger_row(db, "other")
    before = applied_count(db.path, "t1")
    waiting = asyncio.ensure_future(server_committed_more(db.path, "t1", before, timeout=5.0))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # another tenant's row does not count
    add_ledger_row(db, "other")
    await asyncio.sleep(0.05)
    assert not waiting.done()
    add_ledger_row(db, "t1")
    assert await asyncio.wait_for(waiting, 5.0) == before + 1
    db.close()


async def test_a_server_that_commits_nothing_is_a_clear_error_not_a_kill(tmp_path: Path) -> None:
    db = Database(tmp_path / "server.db")
    with pytest.raises(HarnessError, match="committed nothing"):
        await server_committed_more(db.path, "t1", applied_count(db.path, "t1"), timeout=0.05)
    db.close()
