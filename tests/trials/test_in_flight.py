"""The --kill-in-flight evidence: the server's ledger read from its database file, the device's queue."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.core.errors import HarnessError
from harness.server.db import Database
from harness.trials import in_flight
from harness.trials.in_flight import applied_count, server_committed_more


def add_ledger_row(db: Database, tenant_id: str) -> None:
    with db.write() as conn:
        conn.execute("INSERT INTO ledger (tenant_id, kind, content_hash, applied_at, payload)"
                     " VALUES (?, 'note', 'h', 't', '{}')", (tenant_id,))


class LedgerReads:
    """Every count the wait read from the ledger, so a test awaits the wait's next read, not a time."""

    def __init__(self, read: Callable[[sqlite3.Connection, str], int]) -> None:
        self.read = read
        self.counts: list[int] = []
        self.changed = asyncio.Event()

    def __call__(self, conn: sqlite3.Connection, tenant_id: str) -> int:
        self.counts.append(self.read(conn, tenant_id))
        self.changed.set()
        return self.counts[-1]

    async def next_read(self) -> int:
        """The count of the first read after this call (the wait reads on the loop, between awaits)."""
        seen = len(self.counts)
        while len(self.counts) == seen:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 5.0)
        return self.counts[seen]


async def test_the_wait_ends_once_the_server_commits_a_row_of_this_tenant(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    db = Database(tmp_path / "server.db")
    add_ledger_row(db, "other")
    before = applied_count(db.path, "t1")
    reads = LedgerReads(in_flight._applied)
    monkeypatch.setattr(in_flight, "_applied", reads)
    waiting = asyncio.ensure_future(server_committed_more(db.path, "t1", before, timeout=5.0))
    assert await reads.next_read() == before
    add_ledger_row(db, "other")
    assert await reads.next_read() == before  # read after another tenant's row: it does not count
    assert not waiting.done()
    add_ledger_row(db, "t1")
    assert await asyncio.wait_for(waiting, 5.0) == before + 1
    db.close()


async def test_a_server_that_commits_nothing_is_a_clear_error_not_a_kill(tmp_path: Path) -> None:
    db = Database(tmp_path / "server.db")
    with pytest.raises(HarnessError, match="committed nothing"):
        await server_committed_more(db.path, "t1", applied_count(db.path, "t1"), timeout=0.05)
    db.close()
