"""The background sync engine: notices connectivity, drains the outbox, retries with backoff.

Small actions go through ``POST /v1/batch`` (server applies them in the order given); media go
over tus, one at a time. The engine is sequential: at most one request of its own is in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from harness.client.retry import (
    INFO,
    OK,
    RetryPolicy,
    attempt_error,
    body_error_code,
    error_code,
    is_retryable_status,
    outcome_of_status,
    parse_retry_after,
)
from harness.client.sender import Sender
from harness.client.store import DONE, FAILED, AttemptEnd, Store
from harness.client.transport import Counters
from harness.client.tus import DEFAULT_CHUNK, TusUploader, UploadStep
from harness.core.contract import STATUS

OFFLINE, SYNCING, IDLE = "offline", "syncing", "idle"
BATCH_MAX = 500  # docs/PROTOCOL.md: at most 500 items per batch

Sleep = Callable[[float], Awaitable[None]]


class SyncEngine:
    def __init__(self, store: Store, http: httpx.AsyncClient, *, now: Callable[[], str],
                 rng: random.Random, bugs: frozenset[str], counters: Counters,
                 policy: RetryPolicy | None = None, sleep: Sleep | None = None,
                 chunk_size: int = DEFAULT_CHUNK, batch_max: int = BATCH_MAX) -> None:
        self.store, self.http, self.now, self.rng = store, http, now, rng
        self.bugs, self.counters = bugs, counters
        self.policy = policy or RetryPolicy()
        self.sleep: Sleep = sleep or asyncio.sleep
        self.batch_max = batch_max
        self.sender = Sender(http, store, now)
        self.tus = TusUploader(self.sender, store, chunk_size=chunk_size,
                               restart_from_zero="upload_restart_from_zero" in bugs)
        self.state: str | None = None
        self.failures = 0  # consecutive failed rounds, drives the backoff
        self.delays: list[float] = []  # every backoff/probe delay chosen, for tests and reports
        self.errors: list[str] = []  # unexpected answers the engine survived
        self.wake = asyncio.Event()
        self.changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="sync-engine")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def kick(self) -> None:
        """New work was queued: wake the engine if it is idle."""
        self.wake.set()

    async def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.store.add_transition(state, self.now())
        async with self.changed:
            self.changed.notify_all()

    async def went_offline(self) -> None:
        """Called by anyone whose request failed at the transport level."""
        await self.set_state(OFFLINE)
        self.wake.set()

    @property
    def online(self) -> bool:
        return self.state != OFFLINE  # before the first probe: unknown, so try the network

    # --- main loop -----------------------------------------------------------------------
    async def _run(self) -> None:
        probes = 0
        while True:
            if self.state in (OFFLINE, None):
                if await self.probe():
                    probes = 0
                else:
                    await self.set_state(OFFLINE)
                    delay = self.policy.probe_delay(probes, self.rng)
                    probes += 1
                    self.delays.append(delay)
                    await self._wait_wake(delay)
                    continue
            if self.store.pending_count() == 0:
                await self.set_state(IDLE)
                self.wake.clear()
                if self.store.pending_count() == 0:
                    await self.wake.wait()
                continue
            await self.set_state(SYNCING)
            self.tus.progressed = False
            try:
                retry_after = await self.drain_once()
            except httpx.HTTPError:
                await self.went_offline()
                retry_after = 0.0
            except (ValueError, KeyError, TypeError) as exc:
                # a malformed answer (e.g. a tus reply without Upload-Offset) must not kill the engine
                self.errors.append(f"{type(exc).__name__}: {exc}")
                retry_after = 0.0
            if retry_after is None:
                self.failures = 0
            else:
                if self.tus.progressed:
                    # an upload cut after some chunks got through is making headway, not failing:
                    # start the backoff again from its base instead of letting it grow
                    self.failures = 0
                self.failures += 1
                delay = self.retry_delay(retry_after)
                self.delays.append(delay)
                await self.sleep(delay)

    async def _wait_wake(self, delay: float) -> None:
        self.wake.clear()
        sleeper = asyncio.ensure_future(self.sleep(delay))
        waker = asyncio.ensure_future(self.wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()

    def retry_delay(self, retry_after: float) -> float:
        """Backoff with full jitter, never sooner than the server's Retry-After."""
        if "no_backoff" in self.bugs:  # seeded bug: retry storm
            return 0.0
        return max(retry_after, self.policy.backoff(self.failures, self.rng))

    async def probe(self) -> bool:
        """The cheap connectivity check: GET /health."""
        try:
            response = await self.http.get("/health")
        except httpx.HTTPError:
            return False
        return response.status_code < 500

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(predicate), timeout)

    # --- one drain round -----------------------------------------------------------------
    async def drain_once(self) -> float | None:
        """Send one batch and try each pending upload; returns a Retry-After hint (0 if none)
        when something must be retried, None when every attempt settled."""
        hints: list[float] = []
        batch = self._build_batch()
        if batch:
            hint = await self._send_batch(batch)
            if hint is not None:
                hints.append(hint)
        for item in self.store.pending(media=True):
            hint = await self._upload(item)
            if hint is not None:
                hints.append(hint)
        return max(hints) if hints else None

    def identity_for(self, item: dict[str, Any], body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The idempotency key and body of one attempt: the same on every attempt of an item."""
        if "no_idempotency_key" in self.bugs:
            # seeded bug: nothing identifies a retry as a retry (the server also dedupes on
            # item_id, so a key-only bug would be invisible)
            return str(uuid.uuid4()), {**body, "item_id": str(uuid.uuid4())}
        return str(item["key"]), body

    def _build_batch(self) -> list[dict[str, Any]]:
        pending = self.store.pending(media=False)
        if "status_out_of_order" in self.bugs:  # seeded bug: drained as a stack
            return list(reversed(pending))[: self.batch_max]
        batch: list[dict[str, Any]] = []
        uncertain_jobs: set[str] = set()
        for item in pending:
            if item["kind"] == STATUS:
                # a status whose last attempt may still be in flight at the server blocks the
                # job's later statuses: sending them now could let them overtake it
                if item["job_id"] in uncertain_jobs:
                    continue
                if item["last_outcome"] == INFO:
                    uncertain_jobs.add(item["job_id"])
            batch.append(item)
            if len(batch) >= self.batch_max:
                break
        return batch

    async def _send_batch(self, batch: list[dict[str, Any]]) -> float | None:
        identities = [self.identity_for(item, item["body"]) for item in batch]
        keyed = [(item, key) for item, (key, _) in zip(batch, identities, strict=True)]
        self._count_retries(batch)
        body = {"items": [{"key": key, "method": item["method"], "path": item["path"], "body": item_body}
                          for item, (key, item_body) in zip(batch, identities, strict=True)]}
        response, attempt_ids = await self.sender.send(
            "batch", "POST", "/v1/batch", [(item["item_id"], key) for item, key in keyed],
            end=False, json=body,
        )
        now = self.now()
        if response.status_code != 200:
            outcome = outcome_of_status(response.status_code)
            error = attempt_error(response)
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            self.store.end_attempts([(a, outcome, response.status_code, error) for a in attempt_ids], now,
                                    retry_after=retry_after)
            if is_retryable_status(response.status_code, error_code(response)):
                return retry_after or 0.0
            for item in batch:
                self.store.finish(item["item_id"], FAILED, now,
                                  error=f"batch refused with {response.status_code}: {response.text[:300]}")
            return None
        try:
            results = {r["key"]: r for r in response.json()["results"]}
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            self.store.end_attempts([(a, INFO, 200, f"unreadable batch response: {exc}") for a in attempt_ids], now)
            return 0.0
        ends: list[AttemptEnd] = []
        retry = False
        for (item, key), attempt_id in zip(keyed, attempt_ids, strict=True):
            result = results.get(key)
            if result is None:
                ends.append((attempt_id, INFO, 200, "no result for this key in the batch response"))
                retry = True
                continue
            status, result_body = int(result["status"]), result.get("body")
            outcome = outcome_of_status(status)
            code = body_error_code(result_body)
            ends.append((attempt_id, outcome, status, None if outcome == OK else code or f"HTTP {status}"))
            if outcome == OK:
                self.store.finish(item["item_id"], DONE, now, result=result_body)
            elif is_retryable_status(status, code):
                retry = True
            else:
                self.store.finish(item["item_id"], FAILED, now, result=result_body,
                                  error=f"refused with {status}: {json.dumps(result_body)[:300]}")
        self.store.end_attempts(ends, now)
        return 0.0 if retry else None

    async def _upload(self, item: dict[str, Any]) -> float | None:
        self._count_retries([item])
        step: UploadStep = await self.tus.upload(item)
        now = self.now()
        if step.state == "done":
            self.store.finish(item["item_id"], DONE, now, result={"media_id": step.media_id})
            return None
        if step.state == "failed":
            self.store.finish(item["item_id"], FAILED, now, error=f"upload refused with {step.status}: {step.error}")
            return None
        return step.retry_after or 0.0

    def _count_retries(self, items: list[dict[str, Any]]) -> None:
        self.counters.retry([item["item_id"] for item in items if item["attempts"] > 0])

