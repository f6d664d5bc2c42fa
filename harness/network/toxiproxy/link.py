"""One direction of one proxied connection: socket -> chain of toxic stages -> socket.

Modelled on Toxiproxy's link.go. A reader callback turns socket reads into timestamped chunks,
each toxic runs as one task between two bounded channels, and the sink (sink.py) writes what
leaves the last one; with no toxic the reader hands its chunks straight to the sink.

Where ``os.splice`` exists the bytes never enter Python: the reader splices them into the link's
kernel pipe and a chunk only says where they are (chunks.py, byte_pipe.py); the sink splices them
on to the destination. So a link is zero-copy with toxics too, and goes on being so once its
toxics are removed. Only when the pipe is full while toxics hold its bytes (a long latency at a
high rate) does the reader read into memory, up to the chain's own bounds, as Go's link does.

A toxic added to a link without toxics also takes what the sink had not written yet (in Go it would
still be in the link's reader, ahead of every stub), so only what already sits in the kernel's
socket buffers escapes a new toxic. Adding, updating or removing a toxic on a live chain interrupts
the neighbouring stages (cancels their tasks, which hand on any chunk they hold), splices the
channels and restarts them; a link that ended meanwhile (its connection dropped) restarts nothing.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Coroutine, Iterable
from typing import TYPE_CHECKING, Any

from harness.network.toxiproxy.byte_pipe import CAN_SPLICE, BytePipe
from harness.network.toxiproxy.chunks import Channel, Chunk
from harness.network.toxiproxy.sink import Sink

if TYPE_CHECKING:
    from harness.network.toxiproxy.toxic_collection import ToxicWrapper

__all__ = ["CAN_SPLICE", "Channel", "Chunk", "Link", "Stage"]

READ_SIZE = 64 * 1024  # a read into memory, like Go's io.Copy buffer (32 KiB) order of size
SPLICE_SIZE = 1024 * 1024  # the most one splice read takes (the pipe's room limits it too)
MIN_ROOM = 64 * 1024  # less room than this in the pipe counts as full
READS_PER_WAKEUP = 16  # several reads per readable event keep the per-byte overhead low,
READ_BUDGET = 1024 * 1024  # and a link moves at most about this much per turn of the event loop,
# so that with many busy connections every one (and the API) gets its turn soon


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
        self.pipe: BytePipe | None = BytePipe() if CAN_SPLICE else None
        self.min_room = min(MIN_ROOM, self.pipe.capacity // 2) if self.pipe is not None else 0
        self.sink = Sink(dst, self.pipe, self._finish, self._resume_reading)
        self.reader_output: Channel = self.sink
        self.reading = False
        self.source_ended = False
        self.finished = False

    def rng_for(self, toxic_name: str) -> random.Random:
        return random.Random(f"{self.rng_seed}:{self.direction}:{toxic_name}")

    # Life cycle -----------------------------------------------------------------------------
    def start(self, chain: list[ToxicWrapper]) -> None:
        for wrapper in chain:
            self._append_stage(wrapper)
        self._resume_reading()

    def end_source(self) -> None:
        """The source socket is going away (the other direction closed it): end the stream.

        What was already read still reaches the destination, as in Go where the chain drains.
        """
        self._stop_reading()
        if not self.source_ended:
            self.source_ended = True
            self.reader_output.put_nowait(None)

    def abort(self) -> None:
        """Stop everything now (connection dropped or reset); sockets are closed by the caller."""
        self.finished = True
        self._stop_reading()
        for stage in self.stages:
            if stage.task is not None:
                stage.task.cancel()
        self.sink.close()
        if self.pipe is not None:
            self.pipe.close()

    def _finish(self) -> None:
        if not self.finished:
            self.finished = True
            self.connection.link_finished(self)

    # Reading ----------------------------------------------------------------------------------
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
        output = self.reader_output
        pipe = self.pipe
        budget = READ_BUDGET
        for reads in range(READS_PER_WAKEUP):
            chunk = None
            if pipe is not None and pipe.room >= self.min_room:
                chunk = self._splice_read(pipe)
                if chunk is None and (self.source_ended or pipe.fill == 0):
                    return  # no data now, or the end (handed on already)
            if chunk is None:  # no pipe, or it is full (by bytes, or by pages: splice said EAGAIN)
                if pipe is not None:
                    if reads:
                        return  # it filled in this turn: let the chain move it on first
                    if self.sink.blocked or len(output.items) >= output.maxsize:
                        self._pause(output)  # until the sink drains the pipe, or the chain moves
                        return
                chunk = self._memory_read()
                if chunk is None:
                    return
            output.put_nowait(chunk)
            if output is self.sink and output.full():
                # The destination is full: what comes next waits in the kernel. (A stage's input
                # may hold more than its bound while the pipe has room: those bytes cost nothing.)
                self._pause(output)
                return
            budget -= chunk.size
            if budget <= 0:
                return  # the next turn of the loop reads on (the socket is still readable)

    def _splice_read(self, pipe: BytePipe) -> Chunk | None:
        """A chunk of bytes spliced into the pipe; None if none came (EAGAIN, or the end)."""
        try:
            size = pipe.take_in(self.src.fileno(), min(pipe.room, SPLICE_SIZE))
        except BlockingIOError:
            return None
        except OSError:
            size = 0
        if size == 0:
            self._source_ended()
            return None
        return Chunk(None, self.loop.time(), pipe.head - size, size)

    def _memory_read(self) -> Chunk | None:
        try:
            data = self.src.recv(READ_SIZE)
        except BlockingIOError:
            return None
        except OSError:
            data = b""
        if not data:
            self._source_ended()
            return None
        return Chunk(data, self.loop.time())

    def _source_ended(self) -> None:
        self._stop_reading()
        self.source_ended = True
        self.reader_output.put_nowait(None)

    def _pause(self, output: Channel) -> None:
        """Stop reading until the output has space again (or the sink unblocks, for the pipe)."""
        self._stop_reading()
        output.on_space = self._resume_reading

    def _set_reader_output(self, channel: Channel) -> None:
        old = self.reader_output
        old.on_space = None
        self.reader_output = channel
        self._resume_reading()  # reads on and pauses again if the new output is full too

    # Splicing the chain (the API changed the proxy's toxics) -------------------------------------
    def _append_stage(self, wrapper: ToxicWrapper, first: Iterable[Chunk | None] = ()) -> Stage:
        """A stage at the end of the chain, writing to the sink; `first` goes into it first."""
        channel = Channel(wrapper.toxic.buffer_size)
        channel.items.extend(first)
        stage = Stage(self, wrapper, channel, self.sink)
        if self.stages:
            self.stages[-1].output = channel
            self.stages.append(stage)
        else:
            self.stages.append(stage)
            self._set_reader_output(channel)
        stage.start()
        return stage

    def add_toxic(self, wrapper: ToxicWrapper) -> Coroutine[Any, Any, None] | None:
        """Add a toxic at the end of the chain: at once (None) on a link without toxics; else the
        last stage must be interrupted first, and the coroutine returned does it all."""
        if self.finished:
            return None
        if not self.stages:
            self._append_stage(wrapper, self.sink.take_back())
            return None
        return self._add_after_last(wrapper)

    async def _add_after_last(self, wrapper: ToxicWrapper) -> None:
        last = self.stages[-1]
        if not await last.interrupt() or self.finished:
            return  # the chain already ended, or the connection dropped meanwhile
        self._append_stage(wrapper)
        last.start()

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
        self.stages.remove(stage)
        if index > 0:
            self.stages[index - 1].output = stage.output
        else:
            self._set_reader_output(stage.output)  # no toxic left: reads go straight to the sink
        if previous is not None:
            previous.start()

    def _stage_of(self, wrapper: ToxicWrapper) -> Stage | None:
        return next((stage for stage in self.stages if stage.wrapper is wrapper), None)
