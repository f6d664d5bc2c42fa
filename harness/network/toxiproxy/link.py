"""One direction of one proxied connection: socket -> chain of toxic stages -> socket.

Modelled on Toxiproxy's link.go. Two modes:

* fast: while a direction has no toxic, bytes move socket to socket with ``os.splice`` through a
  kernel pipe (zero copy, no per-chunk Python objects) from event-loop callbacks;
* chain: a reader callback turns socket reads into timestamped chunks, each toxic runs as one
  task between two bounded channels, and a writer task sends the chain's output.

A toxic added to a live fast link switches it to chain mode, and the bytes still in the kernel pipe
go through the new toxic: in Go they would still be in the link's reader, ahead of every stub, so
only what already sits in the kernel's socket buffers escapes a new toxic. Adding, updating or
removing a toxic on a live chain interrupts the neighbouring stages (cancels their tasks, which
hand on any chunk they hold), splices the channels and restarts them; a link that ended meanwhile
(its connection dropped) restarts nothing.
"""

from __future__ import annotations

import asyncio
import collections
import fcntl
import os
import random
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.network.toxiproxy.toxic_collection import ToxicWrapper

READ_SIZE = 64 * 1024  # a read in chain mode, like Go's io.Copy buffer (32 KiB) order of size
PIPE_SIZE = 1024 * 1024  # kernel pipe for the fast path; 1 MiB is Linux's default pipe-max-size
CAN_SPLICE = hasattr(os, "splice")


class Chunk:
    """Bytes read from a socket and when (loop time), like Go's stream.StreamChunk."""

    __slots__ = ("data", "time")

    def __init__(self, data: bytes, time: float) -> None:
        self.data = data
        self.time = time


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
        if self._getter is not None and not self._getter.done():
            self._getter.set_result(None)

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
        if not self.full():
            self._wake_putter()
            if self.on_space is not None:
                callback, self.on_space = self.on_space, None
                callback()
        return item

    def _wake_putter(self) -> None:
        while self._putters:
            waiter = self._putters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return


class Stage:
    """One toxic on one link (Go's ToxicStub): its input, output, state and random source."""

    def __init__(self, link: Link, wrapper: ToxicWrapper, input: Channel, output: Channel) -> None:
        self.link = link
        self.wrapper = wrapper
        self.input = input
        self.output = output
        self.state: Any = wrapper.toxic.new_state()
        self.rng = link.rng_for(wrapper.name)
        self.active = self.draw_toxicity()
        self.pending: Chunk | None = None  # data the toxic holds and must hand on if interrupted
        self.closed = False
        self.task: asyncio.Task[None] | None = None

    def draw_toxicity(self) -> bool:
        # Toxicity is drawn once per connection (per stage), not per chunk, as in the real server.
        return self.rng.random() < self.wrapper.toxicity

    def start(self) -> None:
        if self.link.finished:
            return  # the connection dropped while the chain was being changed: nothing to run
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        from harness.network.toxiproxy.toxics import NoopToxic

        toxic = self.wrapper.toxic if self.active else NoopToxic()
        try:
            await toxic.pipe(self)
        except asyncio.CancelledError:
            if self.pending is not None and not self.closed:
                self.output.put_nowait(self.pending)  # don't drop data on the floor
            self.pending = None

    async def interrupt(self) -> bool:
        """Stop the running toxic so the chain can change; False if the stage already closed."""
        if self.closed or self.task is None or self.task.done():
            return False
        self.task.cancel()
        await asyncio.wait([self.task])
        return not self.closed

    # The interface toxics use -------------------------------------------------------------
    async def recv(self) -> Chunk | None:
        return await self.input.get()

    async def send(self, chunk: Chunk) -> None:
        await self.output.put(chunk)
        self.pending = None

    def close(self) -> None:
        """End this stage's output: the link then closes its destination socket."""
        if not self.closed:
            self.closed = True
            self.output.put_nowait(None)

    def reset_connection(self) -> None:
        """End this stage's output; the connection's sockets then close with RST (reset_peer)."""
        self.link.connection.arm_reset()
        self.close()


class SplicePump:
    """The fast path: moves bytes src -> kernel pipe -> dst with os.splice, driven by callbacks."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, src: socket.socket, dst: socket.socket, on_end: Callable[[], None]
    ) -> None:
        self.loop = loop
        self.src_fd = src.fileno()
        self.dst_fd = dst.fileno()
        self.on_end = on_end
        self.pipe_r, self.pipe_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            fcntl.fcntl(self.pipe_w, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        except OSError:
            pass  # keep the default 64 KiB pipe
        self.size = fcntl.fcntl(self.pipe_w, fcntl.F_GETPIPE_SZ)
        self.in_pipe = 0
        self.flags = os.SPLICE_F_MOVE | os.SPLICE_F_NONBLOCK
        self.running = False

    def start(self) -> None:
        self.running = True
        self.loop.add_reader(self.src_fd, self._on_readable)

    def _on_readable(self) -> None:
        for _ in range(16):  # several reads per wake-up keep the per-byte overhead low
            try:
                n = os.splice(self.src_fd, self.pipe_w, self.size, flags=self.flags)
            except BlockingIOError:
                return
            except OSError:
                n = 0
            if n == 0:
                self._end()
                return
            self.in_pipe += n
            if not self._flush():
                return

    def _flush(self) -> bool:
        while self.in_pipe:
            try:
                self.in_pipe -= os.splice(self.pipe_r, self.dst_fd, self.in_pipe, flags=self.flags)
            except BlockingIOError:
                self.loop.remove_reader(self.src_fd)
                self.loop.add_writer(self.dst_fd, self._on_writable)
                return False
            except OSError:
                self._end()
                return False
        return True

    def _on_writable(self) -> None:
        if self._flush():
            self.loop.remove_writer(self.dst_fd)
            if self.running:
                self.loop.add_reader(self.src_fd, self._on_readable)

    def _end(self) -> None:
        self.stop()
        self.on_end()

    def stop(self) -> bytes:
        """Stop pumping; return the bytes still in the pipe (they go first in chain mode)."""
        if self.running:
            self.running = False
            self.loop.remove_reader(self.src_fd)
            self.loop.remove_writer(self.dst_fd)
        leftover = bytearray()
        while self.in_pipe > 0:
            try:
                data = os.read(self.pipe_r, self.in_pipe)
            except OSError:
                break
            if not data:
                break
            leftover += data
            self.in_pipe -= len(data)
        if self.pipe_r >= 0:
            os.close(self.pipe_r)
            os.close(self.pipe_w)
            self.pipe_r = self.pipe_w = -1
        return bytes(leftover)


class Link:
    """One direction (upstream: client -> server, downstream: server -> client) of a connection."""

    def __init__(self, connection: Any, direction: str, src: socket.socket, dst: socket.socket, rng_seed: str) -> None:
        self.connection = connection
        self.direction = direction
        self.src = src
        self.dst = dst
        self.rng_seed = rng_seed
        self.loop = asyncio.get_running_loop()
        self.stages: list[Stage] = []
        self.out = Channel(1)
        self.reader_output: Channel | None = None
        self.reading = False
        self.source_ended = False
        self.pump: SplicePump | None = None
        self.writer: asyncio.Task[None] | None = None
        self.finished = False

    def rng_for(self, toxic_name: str) -> random.Random:
        return random.Random(f"{self.rng_seed}:{self.direction}:{toxic_name}")

    # Life cycle -----------------------------------------------------------------------------
    def start(self, chain: list[ToxicWrapper]) -> None:
        if not chain and CAN_SPLICE:
            self.pump = SplicePump(self.loop, self.src, self.dst, self._finish)
            self.pump.start()
            return
        self._start_chain()
        for wrapper in chain:
            self._append_stage(wrapper)

    def _start_chain(self) -> None:
        self.reader_output = self.out
        self.writer = self.loop.create_task(self._write_loop())
        self._resume_reading()

    def _leave_fast_path(self) -> bytes:
        """Stop the splice pump and start the chain; returns the bytes the pump read but never sent."""
        if self.pump is None:
            return b""
        leftover = self.pump.stop()
        self.pump = None
        self._start_chain()
        return leftover

    def _feed(self, data: bytes) -> None:
        """Hand bytes read from the source to the head of the chain, in chunks of one read."""
        assert self.reader_output is not None
        now = self.loop.time()
        for offset in range(0, len(data), READ_SIZE):
            self.reader_output.put_nowait(Chunk(data[offset : offset + READ_SIZE], now))

    def end_source(self) -> None:
        """The source socket is going away (the other direction closed it): end the stream.

        What was already read still reaches the destination, as in Go where the chain drains.
        """
        self._stop_reading()
        if self.source_ended:
            return
        self.source_ended = True
        self._feed(self._leave_fast_path())
        assert self.reader_output is not None
        self.reader_output.put_nowait(None)

    def abort(self) -> None:
        """Stop everything now (connection dropped or reset); sockets are closed by the caller."""
        self.finished = True
        if self.pump is not None:
            self.pump.stop()
            self.pump = None
        self._stop_reading()
        for stage in self.stages:
            if stage.task is not None:
                stage.task.cancel()
        if self.writer is not None:
            self.writer.cancel()

    def _finish(self) -> None:
        if not self.finished:
            self.finished = True
            self.connection.link_finished(self)

    async def _write_loop(self) -> None:
        try:
            while (chunk := await self.out.get()) is not None:
                await self.loop.sock_sendall(self.dst, chunk.data)
        except OSError:
            pass
        self._finish()

    # Reading in chain mode --------------------------------------------------------------------
    def _resume_reading(self) -> None:
        if not self.reading and not self.source_ended and not self.finished:
            self.reading = True
            self.loop.add_reader(self.src.fileno(), self._on_readable)

    def _stop_reading(self) -> None:
        if self.reading:
            self.reading = False
            if self.src.fileno() >= 0:  # a closed socket's callbacks were removed when it closed
                self.loop.remove_reader(self.src.fileno())

    def _on_readable(self) -> None:
        try:
            data = self.src.recv(READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        output = self.reader_output
        assert output is not None
        if not data:
            self._stop_reading()
            self.source_ended = True
            output.put_nowait(None)
            return
        output.put_nowait(Chunk(data, self.loop.time()))
        if output.full():
            self._stop_reading()
            output.on_space = self._resume_reading

    def _set_reader_output(self, channel: Channel) -> None:
        old = self.reader_output
        if old is not None and old.on_space is not None:
            old.on_space = None
            if channel.full():
                channel.on_space = self._resume_reading
            else:
                self._resume_reading()
        self.reader_output = channel

    # Splicing the chain (the API changed the proxy's toxics) -------------------------------------
    def _append_stage(self, wrapper: ToxicWrapper) -> Stage:
        channel = Channel(wrapper.toxic.buffer_size)
        stage = Stage(self, wrapper, channel, self.out)
        if self.stages:
            self.stages[-1].output = channel
        else:
            self._set_reader_output(channel)
        self.stages.append(stage)
        stage.start()
        return stage

    async def add_toxic(self, wrapper: ToxicWrapper) -> None:
        if self.finished:
            return
        if self.stages:
            last = self.stages[-1]
            if not await last.interrupt() or self.finished:
                return  # the chain already ended, or the connection dropped meanwhile
            self._append_stage(wrapper)
            last.start()
        else:
            leftover = self._leave_fast_path()
            self._append_stage(wrapper)
            self._feed(leftover)

    async def update_toxic(self, wrapper: ToxicWrapper, toxicity_changed: bool) -> None:
        stage = self._stage_of(wrapper)
        if stage is not None and await stage.interrupt() and not self.finished:
            if toxicity_changed:
                stage.active = stage.draw_toxicity()
            stage.start()

    async def remove_toxic(self, wrapper: ToxicWrapper) -> None:
        stage = self._stage_of(wrapper)
        if stage is None or not await stage.interrupt() or self.finished:
            return
        if stage.active:  # a toxic that never applied (toxicity) has nothing to clean up
            wrapper.toxic.cleanup(stage)
        if stage.closed:
            return  # the clean-up ended the stream (timeout toxic)
        index = self.stages.index(stage)
        previous = self.stages[index - 1] if index > 0 else None
        if previous is not None and not await previous.interrupt():
            previous = None
        if self.finished:
            return
        while stage.input.items:  # what the removed toxic had not read yet goes on unchanged
            stage.output.put_nowait(stage.input.items.popleft())
        if index > 0:
            self.stages[index - 1].output = stage.output
        else:
            self._set_reader_output(stage.output)
        self.stages.remove(stage)
        if previous is not None:
            previous.start()

    def _stage_of(self, wrapper: ToxicWrapper) -> Stage | None:
        return next((stage for stage in self.stages if stage.wrapper is wrapper), None)
