"""One holder at a time per upload; a newer request takes the upload over from a stalled PATCH.

A connection cut by a proxy can leave the server's side of an old PATCH open and silent for
minutes. Like tusd's lock release requests, a new PATCH asks the holder to stop reading; the
holder keeps what it received, lets go, and the new PATCH resumes from the real offset. A DELETE
and an expiry take the upload the same way before they remove its part file, so a PATCH never
streams into a file that is gone (tus.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

TAKEOVER_WAIT_SECONDS = 5.0


class UploadBusy(Exception):
    """The holder did not let go in time."""


class UploadLocks:
    def __init__(self) -> None:
        self._holders: dict[str, tuple[asyncio.Event, asyncio.Event]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, upload_id: str) -> AsyncIterator[asyncio.Event]:
        """Hold the upload; the yielded event is set when a newer request wants it."""
        while upload_id in self._holders:
            stop, released = self._holders[upload_id]
            stop.set()
            try:
                await asyncio.wait_for(released.wait(), TAKEOVER_WAIT_SECONDS)
            except TimeoutError:
                raise UploadBusy(upload_id) from None
        mine = (asyncio.Event(), asyncio.Event())
        self._holders[upload_id] = mine
        try:
            yield mine[0]
        finally:
            mine[1].set()
            if self._holders.get(upload_id) is mine:
                del self._holders[upload_id]


async def next_chunk(chunks: AsyncIterator[bytes], stop: asyncio.Event) -> bytes | None:
    """The next chunk of a request body, or None at its end or once ``stop`` is set."""
    if stop.is_set():
        return None
    reading = asyncio.ensure_future(chunks.__anext__())
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if not reading.done():
        reading.cancel()
        return None
    try:
        return reading.result()
    except StopAsyncIteration:
        return None
