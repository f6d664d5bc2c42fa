"""Read timeouts for uvicorn's h11 protocol: slow clients are dropped, and counted.

uvicorn bounds only the idle time between two requests (``timeout_keep_alive``); a client that
sends a request head or body slowly, or stops halfway, holds its connection (and, mid-body, a
request task) for ever. The two limits follow Apache's mod_reqtimeout
(https://httpd.apache.org/docs/2.4/mod/mod_reqtimeout.html):

- the request head must be complete within ``header`` seconds (a head is a few hundred bytes,
  one round trip even on 2G);
- a body is timed by its progress, never by its total time, so a 4 MiB batch or a 50 MiB photo
  may take as long as a slow link needs: it is dropped only after ``body_idle`` seconds without
  a byte, or once its average rate, counted after a first ``body_idle`` seconds, falls under
  ``body_min_rate`` bytes/s (what catches a client trickling one byte just before each idle limit).

Time the server itself stops reading (its buffer is full while the app is busy, or the client waits
for ``100 Continue``) is not held against the client. A dropped client with a request under way
gets ``408 Request Timeout`` (RFC 9110 §15.5.9) before the connection closes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEAD = "header"
BODY = "body"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadTimeouts:
    header: float = 20.0
    body_idle: float = 30.0
    body_min_rate: float = 100.0  # bytes/s; GPRS at its slowest still sends about 1,000


class ReadClock:
    """When the request being read is due, from what arrived and when (a pure function of the times given)."""

    def __init__(self, limits: ReadTimeouts, now: float):
        self.limits = limits
        self.head_begins(now)
        self.body_begins(now)

    def head_begins(self, now: float) -> None:
        self.head_started = now
        self.head_bytes = 0

    def body_begins(self, now: float) -> None:
        self.body_started = self.last_read = now
        self.body_bytes = 0

    def read(self, phase: str, size: int, now: float) -> None:
        if phase == HEAD:
            self.head_bytes += size
        else:
            self.body_bytes += size
            self.last_read = now

    def server_paused(self, now: float) -> None:
        """The server is not reading: the silence so far is not the client's."""
        self.body_started += now - self.last_read
        self.last_read = now

    def deadline(self, phase: str) -> float:
        if phase == HEAD:
            return self.head_started + self.limits.header
        idle = self.last_read + self.limits.body_idle
        too_slow = self.body_started + self.limits.body_idle + self.body_bytes / self.limits.body_min_rate
        return min(idle, too_slow)


class SlowClientGuard:
    """The protocol factory given to uvicorn (``Config(http=guard.protocol)``) and the count of drops."""

    def __init__(self, limits: ReadTimeouts | None = None):
        self.limits = limits or ReadTimeouts()
        self.dropped = {HEAD: 0, BODY: 0}

    def protocol(self, **kwargs: Any) -> BoundedH11Protocol:
        return BoundedH11Protocol(guard=self, **kwargs)


class BoundedH11Protocol(H11Protocol):
    def __init__(self, *, guard: SlowClientGuard, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.guard = guard
        self._timer: asyncio.TimerHandle | None = None
        self._timed_cycle: object = None  # the request whose body is timed

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.clock = ReadClock(self.guard.limits, self.loop.time())
        self._check()

    def data_received(self, data: bytes) -> None:
        now, phase = self.loop.time(), self._phase()
        next_head = phase == HEAD and self.cycle is not None and self.clock.head_bytes == 0
        if next_head:
            self.clock.head_begins(now)  # a later request's head is due from its first byte
        if phase is not None:
            self.clock.read(phase, len(data), now)
        super().data_received(data)
        if next_head or self._phase() != phase:
            self._check()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._check()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        super().connection_lost(exc)

    def _phase(self) -> str | None:
        """What is being read: a request head, a body, or nothing (the app has the whole request)."""
        state = self.conn.their_state
        if state is h11.IDLE:
            return HEAD
        if state is h11.SEND_BODY:
            return BODY
        return None

    def _check(self) -> None:
        """Drop the client if its request is overdue, else look again when it will be (deadlines only move later)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.transport.is_closing():
            return
        now, phase = self.loop.time(), self._phase()
        if self.cycle is not self._timed_cycle:  # a request head was just read
            self._timed_cycle = self.cycle
            self.clock.head_begins(now)
            self.clock.body_begins(now)
        if phase == BODY and (self.flow.read_paused or self.cycle.waiting_for_100_continue):
            self.clock.server_paused(now)
        # Between two requests, uvicorn's timeout_keep_alive closes an idle connection; a later head
        # is timed from its first byte, the first one from the connection (which may send nothing).
        if phase == BODY or (phase == HEAD and (self.cycle is None or self.clock.head_bytes > 0)):
            due = self.clock.deadline(phase)
            if now >= due:
                self._drop(phase)
                return
        else:
            due = now + self.guard.limits.body_idle
        self._timer = self.loop.call_later(max(due - now, 0.0), self._check)

    def _drop(self, phase: str) -> None:
        self.guard.dropped[phase] += 1
        limits = self.guard.limits
        why = (f"no complete request head within {limits.header:g} s" if phase == HEAD else
               f"request body idle for {limits.body_idle:g} s or under {limits.body_min_rate:g} bytes/s")
        log.info("dropped slow client %s: %s", self.client, why)
        cycle = self.cycle if self.cycle is not None and not self.cycle.response_complete else None
        started = phase == BODY or self.clock.head_bytes > 0
        if started and (cycle is None or not cycle.response_started):
            self.transport.write(request_timeout(why))
        if cycle is not None:  # the app stops waiting for the body (it sees a disconnect), sends nothing more
            cycle.disconnected = True
            cycle.message_event.set()
        self.transport.close()


def request_timeout(why: str) -> bytes:
    body = json.dumps({"error": {"code": "request_timeout", "message": f"{why}; send the request again"}}).encode()
    return (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(body), body))
