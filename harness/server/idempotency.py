"""Idempotency-Key handling (IETF draft, Stripe's semantics), the one path every mutation takes.

Both the single mutation routes and each item of ``POST /v1/batch`` call ``Executor.execute``:
key check, in-flight lock, fingerprint, replay, dedupe on the client's ``item_id``, then the
mutation and its stored response committed in one transaction. The seeded bugs that break
exactly-once (see bugs.py) are switched here, so they behave like the real mistakes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from harness.core.contract import DOCUMENT_SEND, canonical_json
from harness.server import mutations
from harness.server.auth import Principal
from harness.server.db import Database, utc_now
from harness.server.errors import ApiError, describe_validation_errors
from harness.server.faults import hold_answer
from harness.server.json_body import reject_lone_surrogates

MAX_KEY_LENGTH = 255


@dataclass
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.replayed:
            self.headers["Idempotent-Replayed"] = "true"


def check_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise ApiError(400, "idempotency_key_missing",
                       "this mutation needs an Idempotency-Key header (1-255 chars, e.g. a UUID)")
    if len(key) > MAX_KEY_LENGTH:
        raise ApiError(400, "idempotency_key_invalid", f"Idempotency-Key is longer than {MAX_KEY_LENGTH} characters")
    return key


async def pause(seconds: float) -> None:
    """A fault's delay; without one, no yield, so a batch's items are not interleaved with other requests."""
    if seconds > 0:
        await hold_answer(seconds)  # observable by the harness while it lasts (faults.py)


class Hold:
    """A response held back by a ``delay`` fault, and what waits for its release.

    Mutations commit first; their keys stay in flight (and, with ``commit_before_dedupe``, their
    key records unwritten) until ``release``, as when a server is slow to answer after its commit.
    A batch shares one hold among its items: it commits them all, then holds its one response.
    Without a delay nothing is held: each key is let go as soon as its item is done.
    """

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self._on_release: list[Callable[[], None]] = []

    def until_release(self, action: Callable[[], None]) -> None:
        if self.seconds > 0:
            self._on_release.append(action)
        else:
            action()

    async def release(self) -> None:
        try:
            await pause(self.seconds)
        finally:
            actions, self._on_release = self._on_release, []
            for action in actions:
                action()


def add_item_owner_columns(db: Database) -> None:
    """A database made before applied items recorded their user and request gets the two columns;
    its older items have neither, so they are never replayed to anyone (a clash, not a leak)."""
    columns = {row["name"] for row in db.all("PRAGMA table_info(applied_items)")}
    with db.write() as conn:
        for column in ("user_id", "fingerprint"):
            if column not in columns:
                conn.execute(f"ALTER TABLE applied_items ADD COLUMN {column} TEXT")


class Executor:
    def __init__(self, db: Database):
        self.db = db
        self._in_flight: set[tuple[str, str]] = set()
        add_item_owner_columns(db)

    async def execute(self, who: Principal, key: str | None, method: str, path: str, body: Any,
                      delay: float = 0.0) -> Outcome:
        """One mutation sent alone: applied, then its response held for ``delay`` seconds."""
        hold = Hold(delay)
        outcome = self.execute_held(who, key, method, path, body, hold)
        await hold.release()
        return outcome

    def execute_held(self, who: Principal, key: str | None, method: str, path: str, body: Any,
                     hold: Hold) -> Outcome:
        """Apply one mutation; its key stays in flight until ``hold`` is released."""
        found = mutations.match(method, path)
        if found is None:
            raise ApiError(404, "route_not_found", f"{method} {path} is not a mutation route; see docs/PROTOCOL.md")
        mutation, params = found
        if who.role not in mutation.roles:
            raise ApiError(403, "forbidden", f"{method} {mutation.template} is not allowed for a {who.role} token")
        key = check_key(key)
        reject_lone_surrogates(body, ("body",))  # before the fingerprint, which encodes the body as UTF-8
        fingerprint = hashlib.sha256(f"{method.upper()} {path} ".encode() + canonical_json(body)).hexdigest()
        bugs = self.db.tenant_bugs(who.tenant_id)
        item_id = body.get("item_id") if isinstance(body, dict) else None

        if bugs.get("ignore_idempotency_key"):
            return self._apply(who, key, mutation, params, body, fingerprint, remember=False)

        if bugs.get("commit_before_dedupe"):
            earlier = self._earlier(who, key, fingerprint, item_id, bugs)
            if earlier is not None:
                return earlier
            outcome = self._apply(who, key, mutation, params, body, fingerprint, remember=False)

            def remember() -> None:  # late: a concurrent retry meanwhile passes the check above
                with self.db.write() as conn:
                    self._remember(conn, who, key, fingerprint, mutation.kind, item_id, outcome)

            hold.until_release(remember)
            return outcome

        slot = (who.user_id, key)
        if slot in self._in_flight:
            raise ApiError(409, "request_in_progress",
                           "a request with this Idempotency-Key is still being processed; retry later")
        earlier = self._earlier(who, key, fingerprint, item_id, bugs)
        if earlier is not None:
            return earlier  # a held response is held for a replay too
        self._in_flight.add(slot)
        try:
            outcome = self._apply(who, key, mutation, params, body, fingerprint, remember=True)
        except BaseException:
            self._in_flight.discard(slot)
            raise
        hold.until_release(lambda: self._in_flight.discard(slot))
        return outcome

    def _earlier(self, who: Principal, key: str, fingerprint: str, item_id: Any,
                 bugs: dict[str, bool]) -> Outcome | None:
        """The stored answer for this key (or this item id), or None if the request is new."""
        row = self.db.one("SELECT * FROM idempotency WHERE user_id = ? AND key = ?", (who.user_id, key))
        if row is not None and row["fingerprint"] != fingerprint:
            raise ApiError(422, "idempotency_key_reused",
                           "this Idempotency-Key was already used for a different request; use a new key")
        if row is None and isinstance(item_id, str):
            row = self._applied_item(who, item_id, fingerprint)
        if row is None:
            return None
        outcome = Outcome(row["status"], json.loads(row["body"]), replayed=True)
        if bugs.get("email_per_retry") and row["kind"] == DOCUMENT_SEND and outcome.status < 300:
            with self.db.write() as conn:  # the modelled mistake: the email is sent on every request
                mutations.send_email(conn, who.tenant_id, outcome.body["job_id"], outcome.body["doc_type"],
                                     outcome.body["item_id"])
        return outcome

    def _apply(self, who: Principal, key: str, mutation: mutations.Mutation, params: dict[str, str], body: Any,
               fingerprint: str, *, remember: bool) -> Outcome:
        with self.db.write() as conn:
            conn.execute("SAVEPOINT mutation")
            try:
                model = mutation.model.model_validate(body)
                status, result = mutation.apply(conn, who, params, model, key)
                outcome = Outcome(status, result)
            except ValidationError as exc:
                outcome = Outcome(422, {"error": {"code": "validation_error",
                                                  "message": describe_validation_errors(exc.errors())}})
            except ApiError as exc:
                conn.execute("ROLLBACK TO mutation")
                outcome = Outcome(exc.status, exc.body())
            conn.execute("RELEASE mutation")
            if remember:
                item_id = body.get("item_id") if isinstance(body, dict) else None
                self._remember(conn, who, key, fingerprint, mutation.kind, item_id, outcome)
        return outcome

    def _applied_item(self, who: Principal, item_id: str, fingerprint: str) -> Any:
        """The applied item this request repeats (under another key), or None if the item id is new.

        Item ids are unique per tenant (the ledger and the media records count them so), but only the
        user who applied an item may be answered with its result, and only for the same request."""
        row = self.db.one("SELECT * FROM applied_items WHERE tenant_id = ? AND item_id = ?", (who.tenant_id, item_id))
        if row is None:
            return None
        if row["user_id"] != who.user_id:
            raise ApiError(409, "item_id_conflict",
                           f"item_id {item_id[:100]!r} belongs to an action another user already synced; give every"
                           " queued action its own item_id (a fresh UUID)")
        if row["fingerprint"] != fingerprint:
            raise ApiError(422, "item_id_reused",
                           f"item_id {item_id[:100]!r} was already applied for a different request; give every queued"
                           " action its own item_id (a fresh UUID)")
        return row

    @staticmethod
    def _remember(conn: Any, who: Principal, key: str, fingerprint: str, kind: str | None, item_id: Any,
                  outcome: Outcome) -> None:
        text = json.dumps(outcome.body)
        conn.execute("INSERT OR IGNORE INTO idempotency (user_id, key, fingerprint, status, body, kind, created_at)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (who.user_id, key, fingerprint, outcome.status, text, kind, utc_now()))
        if outcome.status < 300 and isinstance(item_id, str):
            conn.execute("INSERT OR IGNORE INTO applied_items (tenant_id, item_id, kind, status, body, user_id,"
                         " fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (who.tenant_id, item_id, kind or "", outcome.status, text, who.user_id, fingerprint))
