"""The end of a link's chain: the channel whose items are written to the destination socket.

Writing happens as an item is put, in the caller's turn of the event loop, while the socket takes
it; only a full socket makes the sink wait (on a writer callback) and its putters with it. So a
chunk going through a toxic costs no task switch of its own on the way out (Go's link has a writer
goroutine, link.go; here the last stage writes).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

from harness.network.toxiproxy.byte_pipe import BytePipe
from harness.network.toxiproxy.chunks import Channel, Chunk


class Sink(Channel):
    def __init__(
        self,
        destination: socket.socket,
        pipe: BytePipe | None,
        on_end: Callable[[], None],
        on_unblocked: Callable[[], None],
    ) -> None:
        super().__init__(1)
        self.loop = asyncio.get_running_loop()
        self.destination = destination
        self.fd = destination.fileno()
        self.pipe = pipe
        self.on_end = on_end  # the stream's end was reached, or the destination failed
        self.on_unblocked = on_unblocked  # a full destination took everything queued again
        self.progress = 0  # bytes of the head item already written
        self.blocked = False
        self.ended = False

    def put_nowait(self, item: Chunk | None) -> None:
        if self.ended:
            return  # the link is over: nothing is written any more
        self.items.append(item)
        if not self.blocked:
            self._drain()

    def _drain(self) -> None:
        items = self.items
        while items:
            chunk = items[0]
            if chunk is None:
                self._end()
                return
            try:
                if chunk.data is None:
                    assert self.pipe is not None
                    start = chunk.offset + self.progress
                    self.progress += self.pipe.give_out(self.fd, start, chunk.size - self.progress)
                else:
                    self.progress += self.destination.send(memoryview(chunk.data)[self.progress :])
            except BlockingIOError:
                self._wait_writable()
                return
            except OSError:
                self._end()  # as Go's writer: a failed write ends the link
                return
            if self.progress < chunk.size:
                self._wait_writable()
                return
            items.popleft()
            self.progress = 0
            self.taken()

    def _wait_writable(self) -> None:
        self.blocked = True
        self.loop.add_writer(self.fd, self._on_writable)

    def _on_writable(self) -> None:
        self.loop.remove_writer(self.fd)
        self.blocked = False
        self._drain()
        if not self.blocked and not self.ended:
            self.on_unblocked()

    def _end(self) -> None:
        self.close()
        self.loop.call_soon(self.on_end)

    def take_back(self) -> list[Chunk | None]:
        """Everything queued and not yet written, unwritten part first; the sink is left empty."""
        if self.blocked:
            self.loop.remove_writer(self.fd)
            self.blocked = False
        taken = list(self.items)
        if taken and taken[0] is not None and self.progress:
            taken[0] = taken[0].cut(self.progress)
        self.items.clear()
        self.progress = 0
        return taken

    def close(self) -> None:
        """Write nothing more (the stream ended, or the connection dropped)."""
        if self.blocked and self.destination.fileno() >= 0:
            self.loop.remove_writer(self.fd)
        self.blocked = False
        self.ended = True
        self.items.clear()
