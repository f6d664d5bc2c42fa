"""The device's local store: SQLite cache, outbox, intent log, attempt history; media files on disk.

Durability: WAL with ``synchronous=FULL``, so a committed action survives SIGKILL and power loss.
Every action's intent entry and outbox row are written in one transaction before the action returns.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.core.files import fsync_dir

ItemKey = tuple[str | None, str | None]  # (item_id, idempotency key) a request works for
AttemptEnd = tuple[int, str, int | None, str | None]  # (attempt id, outcome, http status, error)

SCHEMA_MAIN = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS intents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, item_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    job_id TEXT, content_hash TEXT NOT NULL, accepted_at TEXT NOT NULL, key TEXT NOT NULL,
    job_order INTEGER, online_only INTEGER NOT NULL, extra TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, item_id TEXT, key TEXT, op TEXT NOT NULL,
    method TEXT NOT NULL, path TEXT NOT NULL, outcome TEXT, status INTEGER, error TEXT,
    started_at TEXT NOT NULL, ended_at TEXT, retry_after REAL);
CREATE TABLE IF NOT EXISTS transitions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, state TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS refused (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, job_id TEXT, at TEXT NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, fetched_at TEXT NOT NULL);
"""

# A request row has method, path and body (sent in a batch); a media row has media_path, media_size,
# metadata and upload_url instead (the tus uploader's own requests).
SCHEMA_OUTBOX = """
CREATE TABLE IF NOT EXISTS {schema}.outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, item_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    job_id TEXT, key TEXT NOT NULL, method TEXT, path TEXT, body TEXT,
    media_path TEXT, media_size INTEGER, metadata TEXT, upload_url TEXT,
    state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    last_outcome TEXT, last_error TEXT, result TEXT, created_at TEXT NOT NULL, finished_at TEXT);
"""

PENDING, DONE, FAILED = "pending", "done", "failed"
JSON_COLUMNS = ("body", "metadata", "result", "extra")


def _row(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    for column in JSON_COLUMNS:
        if out.get(column) is not None:
            out[column] = json.loads(out[column])
    if "online_only" in out:
        out["online_only"] = bool(out["online_only"])
    return out


def _pieces(source: bytes | Path, piece: int = 1024 * 1024) -> Iterator[bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield bytes(source)
        return
    with open(source, "rb") as handle:
        while chunk := handle.read(piece):
            yield chunk


class Store:
    def __init__(self, store_dir: str | os.PathLike[str], *, outbox_in_memory: bool = False) -> None:
        self.dir = Path(store_dir)
        self.media_dir = self.dir / "media"
        self.media_dir.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.dir / "device.sqlite3", isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA_MAIN)
        self._add_missing_columns()
        self._upgrade_outbox()
        # Seeded bug outbox_in_memory: the outbox table lives in an attached in-memory database.
        self.outbox_schema = "mem" if outbox_in_memory else "main"
        if outbox_in_memory:
            self.db.execute("ATTACH DATABASE ':memory:' AS mem")
        self.db.executescript(SCHEMA_OUTBOX.format(schema=self.outbox_schema))
        self.outbox = f"{self.outbox_schema}.outbox"
        self.device_id = self._device_id()
        # An attempt left open by a killed process ended in an unknown state.
        with self.transaction():
            self.db.execute(
                "UPDATE attempts SET outcome='info', error='process stopped during the attempt' "
                "WHERE outcome IS NULL"
            )

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _add_missing_columns(self) -> None:
        """A store written by an older client lacks the attempts' retry_after column."""
        columns = {row["name"] for row in self.db.execute("PRAGMA table_info(attempts)")}
        if "retry_after" not in columns:
            self.db.execute("ALTER TABLE attempts ADD COLUMN retry_after REAL")

    def _upgrade_outbox(self) -> None:
        """An older client's outbox wants a method and path in every row, media rows too: move its rows
        into today's table (SQLite cannot drop a NOT NULL in place: https://www.sqlite.org/lang_altertable.html)."""
        columns = {row["name"]: row["notnull"] for row in self.db.execute("PRAGMA main.table_info(outbox)")}
        if not columns.get("method"):
            return
        names = ", ".join(columns)
        with self.transaction() as db:
            db.execute("ALTER TABLE main.outbox RENAME TO outbox_older")
            db.execute(SCHEMA_OUTBOX.format(schema="main"))
            db.execute(f"INSERT INTO main.outbox ({names}) SELECT {names} FROM main.outbox_older")
            db.execute("DROP TABLE main.outbox_older")

    def _device_id(self) -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key='device_id'").fetchone()
        if row:
            return str(row[0])
        device_id = str(uuid.uuid4())
        with self.transaction():
            self.db.execute("INSERT INTO meta (key, value) VALUES ('device_id', ?)", (device_id,))
        return device_id

    # --- actions -------------------------------------------------------------------------
    def record_action(self, intent: dict[str, Any], outbox_row: dict[str, Any] | None) -> dict[str, Any]:
        """Write the intent (and its outbox row, if queued) durably in one transaction."""
        with self.transaction() as db:
            job_order = None
            if intent.get("job_id") is not None:
                (count,) = db.execute(
                    "SELECT COUNT(*) FROM intents WHERE job_id=?", (intent["job_id"],)
                ).fetchone()
                job_order = count + 1
            db.execute(
                "INSERT INTO intents (item_id, kind, job_id, content_hash, accepted_at, key, job_order,"
                " online_only, extra) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    intent["item_id"], intent["kind"], intent.get("job_id"), intent["content_hash"],
                    intent["accepted_at"], intent["key"], job_order, int(intent["online_only"]),
                    json.dumps(intent.get("extra", {})),
                ),
            )
            if outbox_row is not None:
                row = dict(outbox_row)
                for column in ("body", "metadata"):
                    if row.get(column) is not None:
                        row[column] = json.dumps(row[column])
                columns = ", ".join(row)
                marks = ", ".join("?" for _ in row)
                db.execute(f"INSERT INTO {self.outbox} ({columns}) VALUES ({marks})", tuple(row.values()))
        return {**intent, "job_order": job_order}

    def write_media(self, item_id: str, source: bytes | Path, suffix: str) -> tuple[Path, int, str]:
        """Copy media bytes (or a file, streamed) into the store, fsynced; returns path, size, sha256."""
        final = self.media_dir / f"{item_id}{suffix}"
        tmp = final.with_suffix(final.suffix + ".tmp")
        digest, size = hashlib.sha256(), 0
        with open(tmp, "wb") as out:
            for piece in _pieces(source):
                digest.update(piece)
                size += len(piece)
                out.write(piece)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, final)
        fsync_dir(self.media_dir)
        return final, size, digest.hexdigest()

    # --- outbox --------------------------------------------------------------------------
    def pending(self, *, media: bool | None = None) -> list[dict[str, Any]]:
        sql = f"SELECT * FROM {self.outbox} WHERE state='pending'"
        if media is True:
            sql += " AND media_path IS NOT NULL"
        elif media is False:
            sql += " AND media_path IS NULL"
        return [_row(r) for r in self.db.execute(sql + " ORDER BY seq")]

    def outbox_items(self) -> list[dict[str, Any]]:
        return [_row(r) for r in self.db.execute(f"SELECT * FROM {self.outbox} ORDER BY seq")]

    def pending_count(self) -> int:
        (count,) = self.db.execute(f"SELECT COUNT(*) FROM {self.outbox} WHERE state='pending'").fetchone()
        return int(count)

    def set_upload_url(self, item_id: str, url: str | None) -> None:
        with self.transaction():
            self.db.execute(f"UPDATE {self.outbox} SET upload_url=? WHERE item_id=?", (url, item_id))

    def finish(self, item_id: str, state: str, at: str, *, result: Any = None, error: str | None = None) -> None:
        with self.transaction():
            self.db.execute(
                f"UPDATE {self.outbox} SET state=?, finished_at=?, result=?, last_error=? WHERE item_id=?",
                (state, at, json.dumps(result), error, item_id),
            )

    # --- attempt history (Jepsen-style: invoke, then ok / fail / info) -------------------
    def begin_attempts(self, items: Iterable[ItemKey], op: str, method: str, path: str, at: str) -> list[int]:
        """Record the invocation of one request covering ``items`` [(item_id, key)]; returns row ids."""
        ids = []
        with self.transaction() as db:
            for item_id, key in items:
                cursor = db.execute(
                    "INSERT INTO attempts (item_id, key, op, method, path, started_at) VALUES (?,?,?,?,?,?)",
                    (item_id, key, op, method, path, at),
                )
                ids.append(int(cursor.lastrowid or 0))
                if item_id is not None:
                    db.execute(
                        f"UPDATE {self.outbox} SET attempts=attempts+1 WHERE item_id=?", (item_id,)
                    )
        return ids

    def end_attempts(self, ends: Iterable[AttemptEnd], at: str, retry_after: float | None = None) -> None:
        """Complete attempts: [(attempt id, outcome, http status, error)]; ``retry_after``: the seconds
        the answer's Retry-After header asked for, if it had one."""
        with self.transaction() as db:
            for attempt_id, outcome, status, error in ends:
                db.execute(
                    "UPDATE attempts SET outcome=?, status=?, error=?, ended_at=?, retry_after=? WHERE seq=?",
                    (outcome, status, error, at, retry_after, attempt_id),
                )
                db.execute(
                    f"UPDATE {self.outbox} SET last_outcome=?, last_error=? WHERE item_id="
                    "(SELECT item_id FROM attempts WHERE seq=?)",
                    (outcome, error, attempt_id),
                )

    # --- transitions, cache, reads for history() ------------------------------------------
    def add_transition(self, state: str, at: str) -> None:
        with self.transaction():
            self.db.execute("INSERT INTO transitions (state, at) VALUES (?, ?)", (state, at))

    def cache_put(self, entries: list[tuple[str, Any]], at: str, *, replace: bool = True) -> None:
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        with self.transaction():
            self.db.executemany(
                f"{verb} INTO cache (key, value, fetched_at) VALUES (?,?,?)",
                [(key, json.dumps(value), at) for key, value in entries],
            )

    def cache_get(self, key: str) -> tuple[Any, str] | None:
        row = self.db.execute("SELECT value, fetched_at FROM cache WHERE key=?", (key,)).fetchone()
        return (json.loads(row[0]), row[1]) if row else None

    def add_refusal(self, kind: str, job_id: str | None, at: str, reason: str) -> None:
        """An online-only action refused offline (nothing queued): the checker's proof of refusal."""
        with self.transaction():
            self.db.execute("INSERT INTO refused (kind, job_id, at, reason) VALUES (?,?,?,?)",
                            (kind, job_id, at, reason))

    def table(self, name: str) -> list[dict[str, Any]]:
        table = {"intents": "intents", "attempts": "attempts", "transitions": "transitions", "refused": "refused"}[name]
        return [_row(r) for r in self.db.execute(f"SELECT * FROM {table} ORDER BY seq")]

    def intent(self, item_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM intents WHERE item_id=?", (item_id,)).fetchone()
        return _row(row) if row else None
