"""SQLite storage: one connection, WAL mode, a single writer behind a lock.

Every write runs inside ``with db.write() as conn:`` and is committed when the block ends, before
the route returns its 2xx, so an acknowledged write survives SIGKILL of the server process.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL, bugs TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, role TEXT NOT NULL, name TEXT NOT NULL,
    token TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS customers (
    id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, name TEXT, address TEXT, phone TEXT, email TEXT);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, customer_id TEXT NOT NULL, technician_id TEXT,
    title TEXT, status TEXT NOT NULL, scheduled_for TEXT NOT NULL, line_items TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS notes (
    id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, job_id TEXT NOT NULL, item_id TEXT, text TEXT, at TEXT);
CREATE TABLE IF NOT EXISTS idempotency (
    user_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER NOT NULL,
    body TEXT NOT NULL, kind TEXT, created_at TEXT NOT NULL, PRIMARY KEY (user_id, key));
CREATE TABLE IF NOT EXISTS applied_items (
    tenant_id TEXT NOT NULL, item_id TEXT NOT NULL, kind TEXT NOT NULL, status INTEGER NOT NULL,
    body TEXT NOT NULL, user_id TEXT, fingerprint TEXT, PRIMARY KEY (tenant_id, item_id));
CREATE TABLE IF NOT EXISTS ledger (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant_id TEXT NOT NULL, kind TEXT NOT NULL, item_id TEXT,
    idempotency_key TEXT, job_id TEXT, content_hash TEXT NOT NULL, applied_at TEXT NOT NULL,
    payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS emails (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant_id TEXT NOT NULL, to_addr TEXT, job_id TEXT,
    doc_type TEXT, item_id TEXT, sent_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS charges (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant_id TEXT NOT NULL, job_id TEXT, item_id TEXT,
    amount_cents INTEGER NOT NULL, card_token TEXT, charged_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, user_id TEXT NOT NULL, item_id TEXT NOT NULL,
    kind TEXT NOT NULL, job_id TEXT NOT NULL, filename TEXT, sha256 TEXT, signer_name TEXT,
    length INTEGER NOT NULL, state TEXT NOT NULL, media_id TEXT, created_at TEXT NOT NULL,
    expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS media (
    id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, job_id TEXT NOT NULL, item_id TEXT NOT NULL,
    kind TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, filename TEXT, signer_name TEXT,
    created_at TEXT NOT NULL, UNIQUE (tenant_id, item_id));
"""


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


class Database:
    """The server's one SQLite connection (``check_same_thread=False``, guarded by a lock)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.media_dir = self.path.with_name(self.path.name + ".media")
        (self.media_dir / "uploads").mkdir(parents=True, exist_ok=True)
        (self.media_dir / "files").mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL: the WAL is fsynced at every commit, so an acknowledged write survives even power loss.
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(SCHEMA)

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed when the block ends (rolled back on an exception)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """Several reads seeing one state (the writer lock keeps writes out meanwhile)."""
        with self._lock:
            yield self._conn

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # Tenant-level settings read on every request.
    def tenant_bugs(self, tenant_id: str) -> dict[str, bool]:
        row = self.one("SELECT bugs FROM tenants WHERE id = ?", (tenant_id,))
        return json.loads(row["bugs"]) if row else {}
