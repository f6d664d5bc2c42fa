"""``--kill-in-flight``: kill where work is surely in flight, read from evidence rather than timed.

A drawn kill point is timed from the pace of a calibration sync, so on a loaded machine a kill meant
for the middle of the batch can land before the server committed anything, and a seeded bug that
needs a half-applied batch goes unseen. A proof that a bug is caught needs the kill to land where the
bug shows, every time:

- the server is killed as soon as its database shows part of the batch committed. The batch handler
  commits item after item without yielding, so the admin API cannot answer meanwhile: the trial reads
  the server's SQLite file itself (read-only; WAL lets a reader in beside the writer).
- the device is killed once it shows "syncing", after checking that its outbox still holds work.

The server's kill is not a hold: the rest of the batch is committed while the SIGKILL is on its way.
The margin is wide (measured with both cores busy: killed after 1-4 of 130-200 items committed).
A ``delay`` fault does hold ``POST /v1/batch`` after its commit, observably (harness/server/faults.py,
the runner's ``wait: {until: fault_holding}``), but it holds the whole batch committed: the half-applied
batch this kill proves needs the kill itself to land mid-batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from pathlib import Path

from harness.core.errors import HarnessError
from harness.runner.adapters import DeviceAdapter

POLL_S = 0.001  # the server commits each item with an fsync: far slower than one poll


def _applied(conn: sqlite3.Connection, tenant_id: str) -> int:
    """The tenant's ledger rows: every mutation the server committed (harness/server/db.py)."""
    return int(conn.execute("SELECT count(*) FROM ledger WHERE tenant_id = ?", (tenant_id,)).fetchone()[0])


def _open(server_db: Path) -> contextlib.closing[sqlite3.Connection]:
    return contextlib.closing(sqlite3.connect(f"file:{server_db}?mode=ro", uri=True, timeout=5.0))


def applied_count(server_db: Path, tenant_id: str) -> int:
    with _open(server_db) as conn:
        return _applied(conn, tenant_id)


async def server_committed_more(server_db: Path, tenant_id: str, before: int, timeout: float) -> int:
    """Return as soon as the tenant has more than ``before`` ledger rows (part of the batch committed)."""
    deadline = time.monotonic() + timeout
    with _open(server_db) as conn:
        while True:
            count = _applied(conn, tenant_id)  # a plain call: a thread hop would cost more than the query
            if count > before:
                return count
            if time.monotonic() > deadline:
                raise HarnessError(f"--kill-in-flight: the server committed nothing of the batch within {timeout:g} s")
            await asyncio.sleep(POLL_S)


async def device_has_work(device: DeviceAdapter) -> int:
    """The number of queued items, which must not be zero: a kill after the sync proves nothing."""
    queued = await device.queued()
    if queued == 0:
        raise HarnessError("--kill-in-flight: the device had already synced everything when it showed syncing")
    return queued
