"""The device's httpx transport: traffic counters, and the faulty link a scenario can switch on.

Counters: requests, bytes sent and received, retries.
Bytes are counted as the request body is handed to the connection and as the response body is
read, plus the header bytes of both, so a cut mid-body counts what actually left the client.
Per-item attribution uses a context variable set by the sync engine around each request.
"""

from __future__ import annotations

import contextvars
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from harness.core.vocabulary import DEVICE_FAULT_NAMES

# item ids the current request works for; bytes are shared equally between them
current_items: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("current_items", default=())


class Counters:
    def __init__(self) -> None:
        self.total: dict[str, int] = {"requests": 0, "bytes_sent": 0, "bytes_received": 0, "retries": 0}
        self.items: dict[str, dict[str, float]] = defaultdict(
            lambda: {"requests": 0, "bytes_sent": 0.0, "bytes_received": 0.0, "retries": 0}
        )

    def add(self, name: str, amount: int, items: tuple[str, ...] | None = None) -> None:
        self.total[name] += amount
        items = current_items.get() if items is None else items
        for item_id in items:
            self.items[item_id][name] += amount / len(items) if name.startswith("bytes") else amount

    def retry(self, item_ids: list[str]) -> None:
        for item_id in item_ids:
            self.total["retries"] += 1
            self.items[item_id]["retries"] += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "total": dict(self.total),
            "items": {
                item_id: {k: round(v) if isinstance(v, float) else v for k, v in values.items()}
                for item_id, values in self.items.items()
            },
        }


@contextmanager
def working_for(item_ids: list[str]) -> Iterator[None]:
    token = current_items.set(tuple(item_ids))
    try:
        yield
    finally:
        current_items.reset(token)


def _header_bytes(headers: httpx.Headers) -> int:
    return sum(len(k) + len(v) + 4 for k, v in headers.raw) + 2


class _CountingStream(httpx.AsyncByteStream):
    """Counts the bytes of a request or response body as they pass (``bytes_sent``/``bytes_received``)."""

    def __init__(self, inner: Any, counters: Counters, items: tuple[str, ...], counter: str) -> None:
        self.inner, self.counters, self.items, self.counter = inner, counters, items, counter

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            self.counters.add(self.counter, len(chunk), self.items)
            yield chunk

    async def aclose(self) -> None:
        if hasattr(self.inner, "aclose"):
            await self.inner.aclose()


class CountingTransport(httpx.AsyncBaseTransport):
    """Wraps a real transport (respx mocks below it, at httpcore, so tests see the counts too)."""

    def __init__(self, counters: Counters, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.counters = counters
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        items = current_items.get()
        self.counters.add("requests", 1, items)
        request_line = len(request.method) + len(request.url.raw_path) + 11
        self.counters.add("bytes_sent", request_line + _header_bytes(request.headers), items)
        request.stream = _CountingStream(request.stream, self.counters, items, "bytes_sent")
        response = await self.inner.handle_async_request(request)
        self.counters.add("bytes_received", 17 + _header_bytes(response.headers), items)
        response.stream = _CountingStream(response.stream, self.counters, items, "bytes_received")
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class _FlippedByteStream(httpx.AsyncByteStream):
    """A request body with the byte at ``position`` inverted on its way out."""

    def __init__(self, inner: Any, position: int) -> None:
        self.inner, self.position = inner, position

    async def __aiter__(self) -> AsyncIterator[bytes]:
        offset = 0
        async for chunk in self.inner:
            if offset <= self.position < offset + len(chunk):
                at = self.position - offset
                chunk = chunk[:at] + bytes([chunk[at] ^ 0xFF]) + chunk[at + 1:]
            offset += len(chunk)
            yield chunk

    async def aclose(self) -> None:
        if hasattr(self.inner, "aclose"):
            await self.inner.aclose()


class FaultyLink(httpx.AsyncBaseTransport):
    """The device's surroundings failing it (not the app): armed by a scenario's ``device_fault``.

    ``corrupt_next_upload_chunk`` flips one byte in the middle of the next non-empty tus PATCH body,
    after the app computed its Upload-Checksum from the file: what a faulty link, middlebox or
    storage does to a body that TCP's 16-bit checksum lets through.
    """

    FAULTS = DEVICE_FAULT_NAMES  # the registry: harness/core/vocabulary.py

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.corrupt_next_chunk = False
        self.corrupted = 0  # chunks corrupted so far

    def arm(self, fault: str) -> None:
        if fault not in self.FAULTS:
            raise ValueError(f"unknown device fault {fault!r}; expected one of {', '.join(self.FAULTS)}")
        self.corrupt_next_chunk = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        length = int(request.headers.get("content-length") or 0)
        if self.corrupt_next_chunk and request.method == "PATCH" and length > 0:
            self.corrupt_next_chunk = False
            self.corrupted += 1
            request.stream = _FlippedByteStream(request.stream, length // 2)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
