"""Fault hooks: per tenant and route, answer an error status, delay, or commit then drop the connection.

Runs outermost, on raw ASGI, because ``commit_then_fail`` must let the route commit and then close
the TCP connection without a single byte of response: raising would make uvicorn answer 500, which
a client would see as a definite failure rather than the lost response it models.

A ``delay`` is a hold the harness can observe (``holding``: harness/server/events.py waits for it),
so a scenario acts while the answer is held instead of guessing how long that takes. With
``until: retried`` the hold ends as soon as a retry of the held request (the same route from the
same token) has been answered, ``seconds`` being only its cap: the retry lands inside the hold by
construction, whatever the machine's load.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from harness.server import mutations
from harness.server.auth import bearer_token
from harness.server.db import Database
from harness.server.errors import error_body

ACTIONS = ("status", "delay", "commit_then_fail")
HOLD_UNTIL = ("retried",)  # what may end a delay's hold before its seconds
FAULT_STATUSES = (500, 502, 503, 504, 429)
DELAY_SCOPE_KEY = "harness.fault_delay"
BATCH_ROUTE = ("POST", "/v1/batch")
ASGIApp = Callable[[dict, Callable, Callable], Awaitable[None]]


@dataclass
class Fault:
    route: str
    action: str
    status: int = 503
    retry_after: float | None = None
    seconds: float = 0.0
    count: int | None = None  # None: every request until the faults are cleared
    until: str | None = None  # delay only: "retried" ends the hold once a retry was answered

    def matches(self, method: str, path: str) -> bool:
        if self.route == "*":
            return True
        want_method, _, template = self.route.partition(" ")
        pattern = "^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$"
        return want_method.upper() in (method.upper(), "*") and re.match(pattern, path) is not None


# Printable ASCII spelled out: `\S` differs between Python (where \x1c-\x1f are spaces) and the
# ECMA regex of JSON Schema, so a client validating with the OpenAPI document would disagree.
ROUTE_PATTERN = r"^(\*|[A-Za-z*]+ /[!-~]*)$"


class FaultFields(BaseModel):
    """What every fault definition may give: strict JSON types, no unknown field (a typo is refused)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    route: str = Field("*", pattern=ROUTE_PATTERN, description="'*' or 'METHOD /path', templates like {job_id} allowed")
    count: Annotated[int, Field(ge=1), BeforeValidator(mutations.whole_number)] | None = Field(
        None, description="How many requests it meets; null: until the faults are cleared")


class StatusFault(FaultFields):
    action: Literal["status"]
    status: Literal[FAULT_STATUSES] = 503  # type: ignore[valid-type]
    retry_after: float | None = Field(None, ge=0, le=3600)


class DelayFault(FaultFields):
    action: Literal["delay"]
    seconds: float = Field(0.0, ge=0, le=300)
    until: Literal[HOLD_UNTIL] | None = None  # type: ignore[valid-type]


class CommitThenFailFault(FaultFields):
    action: Literal["commit_then_fail"]


# The body of POST /admin/tenants/{tid}/faults, as admin.py declares (and FastAPI validates) it.
FaultBody = Annotated[StatusFault | DelayFault | CommitThenFailFault, Field(discriminator="action")]


def parse_fault(body: StatusFault | DelayFault | CommitThenFailFault) -> Fault:
    """The fault a validated body defines (FastAPI has already checked every field against FaultBody)."""
    return Fault(route=body.route, action=body.action, count=body.count,
                 status=getattr(body, "status", 503), retry_after=getattr(body, "retry_after", None),
                 seconds=getattr(body, "seconds", 0.0), until=getattr(body, "until", None))


@dataclass
class HeldAnswer:
    """An answer (or, on a route not held after its commit, a request) a ``delay`` fault is holding."""

    tenant_id: str
    token: str
    fault: Fault
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def is_retried_by(self, token: str, method: str, path: str) -> bool:
        return self.fault.until == "retried" and token == self.token and self.fault.matches(method, path)


# The hold of the request being served: set around the app so idempotency.Hold, which holds the
# answer after the commit, holds it here (it sees no ASGI scope).
_HELD: ContextVar[tuple[FaultInjector, HeldAnswer] | None] = ContextVar("held_answer", default=None)


async def hold_answer(seconds: float) -> None:
    """Hold the answer being served for ``seconds``, observably if a ``delay`` fault asked for it."""
    current = _HELD.get()
    if current is None:
        await asyncio.sleep(seconds)
    else:
        injector, held = current
        await injector.hold(held, seconds)


class FaultInjector:
    def __init__(self, db: Database):
        self.db = db
        self._faults: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()
        # Holds live on the server's event loop only (never touched from a worker thread).
        self._holding: dict[str, list[HeldAnswer]] = {}
        self._holds_begun: dict[str, int] = {}

    def add(self, tenant_id: str, fault: Fault) -> None:
        with self._lock:
            self._faults.setdefault(tenant_id, []).append(fault)

    def list(self, tenant_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(f) for f in self._faults.get(tenant_id, [])]

    def clear(self, tenant_id: str) -> None:
        with self._lock:
            self._faults.pop(tenant_id, None)

    def take(self, tenant_id: str, method: str, path: str) -> Fault | None:
        """The first matching fault, one use consumed."""
        with self._lock:
            faults = self._faults.get(tenant_id, [])
            for fault in faults:
                if fault.matches(method, path):
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count == 0:
                            faults.remove(fault)
                    return fault
        return None

    def holding(self, tenant_id: str) -> dict[str, int]:
        """How many answers the tenant's delay faults hold now, and how many holds have begun."""
        return {"holding": len(self._holding.get(tenant_id, [])), "holds_begun": self._holds_begun.get(tenant_id, 0)}

    async def hold(self, held: HeldAnswer, seconds: float) -> None:
        self._holding.setdefault(held.tenant_id, []).append(held)
        self._holds_begun[held.tenant_id] = self._holds_begun.get(held.tenant_id, 0) + 1
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(held.released.wait(), seconds)
        finally:
            self._holding[held.tenant_id].remove(held)

    def _caller_of(self, scope: dict) -> tuple[str, str] | None:
        """(tenant id, token) of a request while the server has faults or holds, else None."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        token = bearer_token(headers)
        if token is None or not (self._faults or self._holding):
            return None
        row = self.db.one("SELECT tenant_id FROM users WHERE token = ?", (token,))
        return (row["tenant_id"], token) if row else None

    async def __call__(self, scope: dict, receive: Callable, send: Callable, app: ASGIApp) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            return await app(scope, receive, send)
        caller = self._caller_of(scope)
        if caller is None:
            return await app(scope, receive, send)
        tenant_id, token = caller
        method, path = scope["method"], scope["path"]
        retried = [h for h in self._holding.get(tenant_id, []) if h.is_retried_by(token, method, path)]
        fault = self.take(tenant_id, method, path)
        try:
            if fault is None:
                await app(scope, receive, send)
            elif fault.action == "delay":
                await self._delay(HeldAnswer(tenant_id, token, fault), scope, receive, send, app)
            elif fault.action == "status":
                await send_fault_status(send, fault)
            else:
                await commit_then_drop(scope, receive, send, app)
        finally:
            for held in retried:  # this retry has been answered: its first attempt is let go
                held.released.set()

    async def _delay(self, held: HeldAnswer, scope: dict, receive: Callable, send: Callable, app: ASGIApp) -> None:
        fault = held.fault
        if not holds_after_commit(scope["method"], scope["path"]):
            await self.hold(held, fault.seconds)
            return await app(scope, receive, send)
        # Held by the idempotency layer after the commit, while the keys are still in flight.
        scope[DELAY_SCOPE_KEY] = fault.seconds
        context = _HELD.set((self, held))
        try:
            await app(scope, receive, send)
        finally:
            _HELD.reset(context)


def holds_after_commit(method: str, path: str) -> bool:
    """Routes whose ``delay`` falls after the commit: each mutation route, and the batch of them."""
    return (method.upper(), path) == BATCH_ROUTE or mutations.match(method, path) is not None


async def send_fault_status(send: Callable, fault: Fault) -> None:
    body = json.dumps(error_body("injected_fault", f"fault hook: {fault.status} injected by the harness")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if fault.retry_after is not None:
        headers.append((b"retry-after", str(int(fault.retry_after) if fault.retry_after == int(fault.retry_after)
                                             else fault.retry_after).encode()))
    await send({"type": "http.response.start", "status": fault.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def commit_then_drop(scope: dict, receive: Callable, send: Callable, app: ASGIApp) -> None:
    async def swallow(message: dict) -> None:
        return None

    try:
        await app(scope, receive, swallow)  # the route runs and commits; its response goes nowhere
    finally:
        drop_connection(send)


def drop_connection(send: Callable) -> None:
    """Close the TCP connection under uvicorn's request cycle without sending a response.

    uvicorn passes its ``RequestResponseCycle.send`` bound method as ``send``; the cycle owns the
    transport. Marking the cycle disconnected stops uvicorn from answering 500 afterwards.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if cycle is None or transport is None:
        raise ConnectionAbortedError("commit_then_fail: no transport to drop (not served by uvicorn)")
    transport.abort()
    cycle.disconnected = True
