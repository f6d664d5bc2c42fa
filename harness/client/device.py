"""The technician's device: an async API over the local store and the background sync engine.

Every queued action is durably in the store (intent log + outbox, with its item id and
idempotency key) before the call returns. Online-only actions (card payments, GPS points,
refreshing assignments) never queue anything.
"""

from __future__ import annotations

import contextlib
import os
import random
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, date as Date, datetime
from pathlib import Path
from typing import Any

import httpx

from harness.client.bugs import parse_bugs
from harness.client.errors import DeviceError, OfflineError, RefusedError
from harness.client.retry import RetryPolicy, error_code, is_retryable_status, parse_retry_after
from harness.client.store import FAILED, PENDING, Store
from harness.client.sync import IDLE, Sleep, SyncEngine
from harness.client.transport import Counters, CountingTransport, FaultyLink
from harness.client.tus import DEFAULT_CHUNK
from harness.core.contract import (
    DOCUMENT_SEND,
    DOCUMENT_TYPES,
    GPS,
    JOB_STATUSES,
    NOTE,
    PAYMENT,
    PHOTO,
    SIGNATURE,
    STATUS,
    TIME_ENTRY,
    canonical_json,
    content_hash,
)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


class Device:
    def __init__(self, store_dir: str | os.PathLike[str], base_url: str, token: str, *,
                 clock: Clock | None = None, seed: int | None = None,
                 bugs: str | Iterable[str] | None = None,
                 policy: RetryPolicy | None = None, sleep: Sleep | None = None,
                 chunk_size: int = DEFAULT_CHUNK, batch_max: int = 500,
                 timeout: httpx.Timeout | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.bugs = parse_bugs(bugs)
        self.store = Store(store_dir, outbox_in_memory="outbox_in_memory" in self.bugs)
        self.clock = clock or utc_now
        self.rng = random.Random(seed)
        self.counters = Counters()
        self.link = FaultyLink(transport)
        self.http = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            transport=CountingTransport(self.counters, self.link),
            timeout=timeout or httpx.Timeout(10.0, connect=2.0),
        )
        self.engine = SyncEngine(
            self.store, self.http, now=self.now, rng=self.rng, bugs=self.bugs, counters=self.counters,
            policy=policy, sleep=sleep, chunk_size=chunk_size, batch_max=batch_max,
        )

    def now(self) -> str:
        return iso(self.clock())

    async def start(self) -> Device:
        self.engine.start()
        return self

    async def close(self) -> None:
        await self.engine.stop()
        await self.http.aclose()
        self.store.close()

    async def inject_fault(self, fault: str) -> None:
        """A fault of the device's surroundings (see FaultyLink), e.g. ``corrupt_next_upload_chunk``."""
        self.link.arm(fault)

    async def __aenter__(self) -> Device:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- queued actions ------------------------------------------------------------------
    async def _accept(self, kind: str, job_id: str | None, path: str | None, fields: dict[str, Any],
                      content: dict[str, Any], *, online_only: bool = False, queue: bool = True,
                      extra: dict[str, Any] | None = None, media: dict[str, Any] | None = None,
                      item_id: str | None = None) -> dict[str, Any]:
        item_id = item_id or str(uuid.uuid4())
        key = str(uuid.uuid4())
        at = fields.get("at") or self.now()
        intent = {
            "item_id": item_id, "kind": kind, "job_id": job_id,
            "content_hash": content_hash(kind, content), "accepted_at": at, "key": key,
            "online_only": online_only, "extra": {"at": at, "queued": queue, **(extra or {})},
        }
        row = None
        if queue:
            row = {"item_id": item_id, "kind": kind, "job_id": job_id, "key": key, "created_at": at}
            if media is None:
                row.update(method="POST", path=path, body={"item_id": item_id, **fields, "at": at})
            else:
                row.update(media)  # uploaded over tus by the uploader: no request of its own
        accepted = self.store.record_action(intent, row)
        if queue:
            self.engine.kick()
        return {**accepted, "queued": queue}

    async def set_status(self, job_id: str, status: str) -> dict[str, Any]:
        _require(status in JOB_STATUSES, f"unknown status {status!r}; expected one of {', '.join(JOB_STATUSES)}")
        return await self._accept(STATUS, job_id, f"/v1/jobs/{job_id}/status", {"status": status},
                                  {"job_id": job_id, "status": status}, extra={"status": status})

    async def add_note(self, job_id: str, text: str) -> dict[str, Any]:
        _require(isinstance(text, str) and text != "", "a note needs non-empty text")
        return await self._accept(NOTE, job_id, f"/v1/jobs/{job_id}/notes", {"text": text},
                                  {"job_id": job_id, "text": text})

    async def _time_entry(self, entry: str, job_id: str | None) -> dict[str, Any]:
        at = self.now()
        return await self._accept(TIME_ENTRY, job_id, "/v1/time-entries",
                                  {"job_id": job_id, "entry": entry, "at": at},
                                  {"job_id": job_id, "entry": entry, "at": at})

    async def clock_in(self, job_id: str | None = None) -> dict[str, Any]:
        return await self._time_entry("clock_in", job_id)

    async def clock_out(self, job_id: str | None = None) -> dict[str, Any]:
        return await self._time_entry("clock_out", job_id)

    async def _send_document(self, job_id: str, doc_type: str) -> dict[str, Any]:
        assert doc_type in DOCUMENT_TYPES
        return await self._accept(DOCUMENT_SEND, job_id, f"/v1/jobs/{job_id}/documents",
                                  {"doc_type": doc_type}, {"job_id": job_id, "doc_type": doc_type},
                                  extra={"doc_type": doc_type})

    async def send_estimate(self, job_id: str) -> dict[str, Any]:
        return await self._send_document(job_id, "estimate")

    async def send_invoice(self, job_id: str) -> dict[str, Any]:
        return await self._send_document(job_id, "invoice")

    async def _media(self, kind: str, job_id: str, source: bytes | str | Path, filename: str | None,
                     signer_name: str | None = None) -> dict[str, Any]:
        if isinstance(source, (str, Path)):
            _require(Path(source).is_file(), f"no such file {source}; pass the photo's bytes or an existing path")
            filename = filename or Path(source).name
            source = Path(source)
        else:
            _require(len(source) > 0, f"the {kind} is empty; pass its bytes or a file path")
        item_id = str(uuid.uuid4())
        filename = filename or f"{kind}.{'png' if kind == SIGNATURE else 'jpg'}"
        path, size, sha256 = self.store.write_media(item_id, source, Path(filename).suffix or ".bin")
        _require(size > 0, f"the {kind} file is empty")
        metadata = {"item_id": item_id, "kind": kind, "job_id": job_id, "filename": filename,
                    "sha256": sha256, "signer_name": signer_name}
        media = {"media_path": str(path), "media_size": size, "metadata": metadata}
        extra = {"filename": filename, "size": size, **({"signer_name": signer_name} if signer_name else {})}
        return await self._accept(kind, job_id, None, {}, {"sha256": sha256}, extra=extra, media=media,
                                  item_id=item_id)

    async def take_photo(self, job_id: str, photo: bytes | str | Path, filename: str | None = None) -> dict[str, Any]:
        return await self._media(PHOTO, job_id, photo, filename)

    async def collect_signature(self, job_id: str, signature: bytes | str | Path, signer_name: str,
                                filename: str | None = None) -> dict[str, Any]:
        _require(bool(signer_name), "a signature needs the signer's name")
        return await self._media(SIGNATURE, job_id, signature, filename, signer_name)

    # --- online-only actions -------------------------------------------------------------
    async def charge_card(self, job_id: str, amount_cents: int, card_token: str) -> dict[str, Any]:
        _require(isinstance(amount_cents, int) and amount_cents > 0, "amount_cents must be a positive integer")
        fields = {"job_id": job_id, "amount_cents": amount_cents, "card_token": card_token}
        content = {"job_id": job_id, "amount_cents": amount_cents}
        if not self.engine.online:
            if "queue_payments_offline" in self.bugs:  # seeded bug: the payment waits in the outbox
                return await self._accept(PAYMENT, job_id, "/v1/payments", fields, content, online_only=True)
            self.store.add_refusal(PAYMENT, job_id, self.now(), "offline: card payments need a connection")
            raise OfflineError("card payments need a connection: the device is offline, nothing was"
                               " charged or queued; take the payment again once online")
        accepted = await self._accept(PAYMENT, job_id, None, fields, content, online_only=True, queue=False)
        failures = 0
        while True:
            key, body = self.engine.identity_for(
                accepted, {"item_id": accepted["item_id"], **fields, "at": accepted["accepted_at"]})
            try:
                response, _ = await self.engine.sender.send(
                    PAYMENT, "POST", "/v1/payments", [(accepted["item_id"], key)],
                    json=body, headers={"Idempotency-Key": key},
                )
            except httpx.HTTPError:
                await self.engine.went_offline()
                raise OfflineError("the connection dropped while charging the card; it was not queued"
                                   " and may or may not have been charged: check the job before charging"
                                   " again") from None
            if response.is_success:
                return {**accepted, "charge": response.json()}
            failures += 1
            retryable = is_retryable_status(response.status_code, error_code(response))
            if not retryable or failures >= self.engine.policy.max_payment_attempts:
                raise RefusedError(f"payment refused with {response.status_code}: {response.text[:200]}",
                                   response.status_code, _json_or_text(response))
            self.counters.retry([accepted["item_id"]])
            delay = self.engine.retry_delay(parse_retry_after(response.headers.get("Retry-After")) or 0.0)
            await self.engine.sleep(delay)

    async def report_location(self, lat: float, lon: float) -> dict[str, Any]:
        _require(-90 <= lat <= 90 and -180 <= lon <= 180, "lat must be in [-90, 90] and lon in [-180, 180]")
        at = self.now()
        fields = {"lat": lat, "lon": lon, "at": at}
        if not self.engine.online:
            if "backfill_gps" in self.bugs:  # seeded bug: offline points are buffered and sent later
                return await self._accept(GPS, None, "/v1/gps", fields, fields, online_only=True)
            self.store.add_refusal(GPS, None, at, "offline: GPS tracking is paused")
            return {"sent": False, "queued": False, "reason": "offline: GPS tracking is paused"}
        accepted = await self._accept(GPS, None, None, fields, fields, online_only=True, queue=False)
        try:
            response, _ = await self.engine.sender.send(
                GPS, "POST", "/v1/gps", [(accepted["item_id"], accepted["key"])],
                json={"item_id": accepted["item_id"], **fields},
                headers={"Idempotency-Key": accepted["key"]},
            )
        except httpx.HTTPError:
            await self.engine.went_offline()
            return {**accepted, "sent": False, "reason": "connection lost: point dropped, not queued"}
        return {**accepted, "sent": response.is_success, "status": response.status_code}

    # --- reads: cached while online, served stale offline --------------------------------
    async def _read(self, path: str, cache_key: str, what: str) -> dict[str, Any]:
        if self.engine.online:
            try:
                response = await self.http.get(path)
            except httpx.HTTPError:
                await self.engine.went_offline()
            else:
                if response.status_code == 200:
                    data = response.json()
                    at = self.now()
                    self.store.cache_put([(cache_key, data)], at)
                    return {"data": data, "stale": False, "fetched_at": at}
                if response.status_code < 500:
                    raise RefusedError(f"{what}: the server answered {response.status_code}: {response.text[:200]}",
                                       response.status_code, _json_or_text(response))
        cached = self.store.cache_get(cache_key)
        if cached is None:
            raise OfflineError(f"{what} is not in the device cache and the server cannot be reached;"
                               " open it once while online")
        data, fetched_at = cached
        return {"data": data, "stale": True, "fetched_at": fetched_at}

    async def open_schedule(self, day: str | None = None) -> dict[str, Any]:
        day = day or self.clock().date().isoformat()
        _require(_is_date(day), f"date {day!r} is not YYYY-MM-DD")
        view = await self._read(f"/v1/schedule?date={day}", f"schedule:{day}", f"the schedule of {day}")
        if not view["stale"]:  # a job opened later offline can at least show its summary
            self.store.cache_put([(f"job:{job['id']}", job) for job in view["data"].get("jobs", [])],
                                 view["fetched_at"], replace=False)
        return view

    async def open_job(self, job_id: str) -> dict[str, Any]:
        view = await self._read(f"/v1/jobs/{job_id}", f"job:{job_id}", f"job {job_id}")
        if not view["stale"]:
            customer = view["data"].get("customer") or {}
            if customer.get("id"):
                await self._try_cache_history(customer["id"])
        view["pending"] = [
            {"item_id": item["item_id"], "kind": item["kind"], "state": item["state"]}
            for item in self.store.outbox_items()
            if item["job_id"] == job_id and item["state"] in (PENDING, FAILED)
        ]
        return view

    async def _try_cache_history(self, customer_id: str) -> None:
        with contextlib.suppress(DeviceError):  # the job itself was served; history stays as cached before
            await self.open_customer_history(customer_id)

    async def open_customer_history(self, customer_id: str) -> dict[str, Any]:
        return await self._read(f"/v1/customers/{customer_id}/history", f"history:{customer_id}",
                                f"the service history of customer {customer_id}")

    async def refresh_assignments(self, day: str | None = None) -> dict[str, Any]:
        day = day or self.clock().date().isoformat()
        offline = {"online": False, "message": "offline: new assignments appear when the connection returns"}
        if not self.engine.online:
            return offline
        before = self.store.cache_get(f"schedule:{day}")
        known = {job["id"] for job in (before[0]["jobs"] if before else [])}
        view = await self.open_schedule(day)
        if view["stale"]:
            return offline
        jobs = view["data"].get("jobs", [])
        return {"online": True, "jobs": jobs, "new": [job["id"] for job in jobs if job["id"] not in known]}

    # --- what it shows -------------------------------------------------------------------
    @property
    def sync_state(self) -> str | None:
        return self.engine.state

    def state(self) -> dict[str, Any]:
        items = self.store.outbox_items()
        transitions = self.store.table("transitions")
        return {
            "device_id": self.store.device_id,
            "sync_state": self.engine.state,
            "since": transitions[-1]["at"] if transitions else None,
            "pending": sum(1 for i in items if i["state"] == PENDING),
            "failed": [{"item_id": i["item_id"], "kind": i["kind"], "error": i["last_error"]}
                       for i in items if i["state"] == FAILED],
            "counters": self.counters.snapshot(),
            "engine_errors": self.engine.errors[-10:],
        }

    def history(self) -> dict[str, Any]:
        """Everything the checker reads, as plain JSON-able dicts (harness/checker/model.py's format)."""
        outbox = self.store.outbox_items()
        return {
            "device_id": self.store.device_id,
            "bugs": sorted(self.bugs),
            "intents": [_intent_view(intent) for intent in self.store.table("intents")],
            "attempts": _attempt_views(self.store.table("attempts")),
            "refused": [{k: r[k] for k in ("kind", "job_id", "at", "reason")} for r in self.store.table("refused")],
            "sync_states": [{"state": t["state"], "at": t["at"]} for t in self.store.table("transitions")],
            "outbox": [item["item_id"] for item in outbox if item["state"] == PENDING],
            "outbox_items": outbox,
            "counters": {**self.counters.snapshot()["total"], "payload_bytes": _payload_bytes(outbox),
                         "per_item": self.counters.snapshot()["items"]},
            "sync_state": self.engine.state,
        }

    async def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until the outbox has nothing pending and the engine shows idle."""
        await self.engine.wait_for(
            lambda: self.engine.state == IDLE and self.store.pending_count() == 0, timeout
        )

    async def wait_state(self, state: str, timeout: float = 30.0) -> None:
        await self.engine.wait_for(lambda: self.engine.state == state, timeout)


def _intent_view(intent: dict[str, Any]) -> dict[str, Any]:
    view = {k: intent[k] for k in ("item_id", "kind", "job_id", "content_hash", "accepted_at", "online_only")}
    extra = dict(intent["extra"])
    queued = extra.pop("queued", True)
    return {**view, "extra": extra, "queued": queued, "idempotency_key": intent["key"], "order": intent["job_order"]}


def _attempt_views(attempts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    numbers: dict[str | None, int] = {}
    views = []
    for attempt in attempts:
        numbers[attempt["item_id"]] = numbers.get(attempt["item_id"], 0) + 1
        views.append({
            "item_id": attempt["item_id"], "attempt": numbers[attempt["item_id"]], "op": attempt["op"],
            "method": attempt["method"], "path": attempt["path"], "idempotency_key": attempt["key"],
            "started_at": attempt["started_at"], "ended_at": attempt["ended_at"],
            # an attempt still in flight when the history is taken has, so far, an unknown outcome
            "outcome": attempt["outcome"] or "info", "in_flight": attempt["outcome"] is None,
            "http_status": attempt["status"], "error": attempt["error"], "retry_after": attempt["retry_after"],
        })
    return views


def _payload_bytes(outbox: list[dict[str, Any]]) -> int:
    """What the queued items had to carry: media bytes, or the JSON body of a small action."""
    return sum(item["media_size"] or len(canonical_json(item["body"])) for item in outbox)


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:300]


def _is_date(value: str) -> bool:
    try:
        Date.fromisoformat(value)
    except ValueError:
        return False
    return True

