"""What flows through a link's chain of toxics: chunks, and the bounded channels between stages.

No toxic of Toxiproxy looks at the bytes themselves: each one delays, splits, truncates, drops or
closes (toxics/*.go). So a chunk need not carry its bytes: where the platform has ``os.splice``
they stay in the link's kernel pipe (see byte_pipe.py), in stream order, and a chunk only says
where they are (``offset``, ``size``). A chunk carries its bytes (``data``) where there is no pipe,
or when the pipe was full as it was read.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable


class Chunk:
    """Bytes read from a socket and when (loop time), like Go's stream.StreamChunk.

    ``data`` is None when the bytes are in the link's pipe, at pipe stream offset ``offset``.
    """

    __slots__ = ("data", "offset", "size", "time")

    def __init__(self, data: bytes | None, time: float, offset: int = 0, size: int | None = None) -> None:
        self.data = data
        self.time = time
        self.offset = offset
        self.size = len(data) if data is not None else (size or 0)

    def __len__(self) -> int:
        return self.size

    def cut(self, start: int, end: int | None = None) -> Chunk:
        """The piece [start:end] of this chunk, with its timestamp (slicing, as Go's p.Data[a:b])."""
        stop = self.size if end is None else min(end, self.size)
        start = min(start, stop)
        if self.data is not None:
            return Chunk(self.data[start:stop], self.time)
        return Chunk(None, self.time, self.offset + start, stop - start)


class Channel:
    """A bounded FIFO between two stages; ``None`` marks the end of the stream.

    An item is taken or added only after the awaiting coroutine resumes, so cancelling a waiting
    ``get``/``put`` never loses or duplicates an item. ``put_nowait`` ignores the bound (used to
    hand on held data during an interrupt and by the socket reader, which pauses itself instead).
    """

    def __init__(self, maxsize: int) -> None:
        self.maxsize = max(1, maxsize)
        self.items: collections.deque[Chunk | None] = collections.deque()
        self._getter: asyncio.Future[None] | None = None
        self._putters: collections.deque[asyncio.Future[None]] = collections.deque()
        self.on_space: Callable[[], None] | None = None

    def full(self) -> bool:
        return len(self.items) >= self.maxsize

    def put_nowait(self, item: Chunk | None) -> None:
        self.items.append(item)
        getter = self._getter
        if getter is not None and not getter.done():
            getter.set_result(None)

    async def put(self, item: Chunk | None) -> None:
        while self.full():
            waiter = asyncio.get_running_loop().create_future()
            self._putters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake_putter()  # pass the wake-up on
                raise
            finally:
                if waiter in self._putters:
                    self._putters.remove(waiter)
        self.put_nowait(item)

    async def get(self) -> Chunk | None:
        while not self.items:
            self._getter = asyncio.get_running_loop().create_future()
            await self._getter
        item = self.items.popleft()
        self.taken()
        return item

    def taken(self) -> None:
        """An item left: wake a waiting putter, and the reader if it paused on this channel."""
        if not self.full():
            if self._putters:
                self._wake_putter()
            if self.on_space is not None:
                callback, self.on_space = self.on_space, None
                callback()

    def _wake_putter(self) -> None:
        while self._putters:
            waiter = self._putters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
