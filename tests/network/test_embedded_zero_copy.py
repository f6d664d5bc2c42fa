"""The embedded server's links move bytes through a kernel pipe, with toxics too (zero copy)."""

from __future__ import annotations

import asyncio
import os
import socket

import pytest
from embedded_helpers import WAIT, add_toxic, connect, create_proxy, echo, embedded, round_trip, source, upstream

from harness.network.toxiproxy.byte_pipe import CAN_SPLICE, BytePipe
from harness.network.toxiproxy.link import Link
from harness.network.toxiproxy.server import EmbeddedToxiproxy

pytestmark = pytest.mark.skipif(not CAN_SPLICE, reason="os.splice is Linux-only: links copy through memory here")

PAYLOAD = os.urandom(1 << 20) * 3  # 3 MiB: more than the 1 MiB pipe
FOREVER_MS = int(WAIT * 1000) * 6


async def _only_link(server: EmbeddedToxiproxy, proxy: str, direction: str) -> Link:
    """The one connection's link, once the proxy has dialled upstream (bounded by WAIT)."""
    connections = server.api.collection.get(proxy).connections
    async with asyncio.timeout(WAIT):
        while not connections:
            await asyncio.sleep(0.01)
    (connection,) = connections
    return connection.down if direction == "downstream" else connection.up


def _held(link: Link) -> int:
    """Bytes the link's toxics hold: queued for a stage, or held by one."""
    queued = sum(len(chunk) for stage in link.stages for chunk in stage.input.items if chunk is not None)
    return queued + sum(len(stage.pending) for stage in link.stages if stage.pending is not None)


async def test_bytes_through_a_toxic_go_through_the_pipe_not_through_python() -> None:
    async with embedded() as (server, api), upstream(source(PAYLOAD)) as port:
        proxy_port = await create_proxy(api, "zc", port)
        await add_toxic(api, "zc", "latency", latency=0)
        reader, writer = await connect(proxy_port)
        assert await asyncio.wait_for(reader.readexactly(len(PAYLOAD)), WAIT) == PAYLOAD
        link = await _only_link(server, "zc", "downstream")
        assert link.pipe is not None and link.pipe.head == len(PAYLOAD)  # every byte was spliced
        writer.close()


async def test_a_link_whose_toxics_were_removed_is_zero_copy_again() -> None:
    async with embedded() as (server, api), upstream(echo) as port:
        proxy_port = await create_proxy(api, "back", port)
        reader, writer = await connect(proxy_port)
        await round_trip(reader, writer, b"first")
        await add_toxic(api, "back", "slicer", stream="upstream", average_size=2, name="cut")
        await round_trip(reader, writer, b"sliced")
        assert (await api.delete("/proxies/back/toxics/cut")).status_code == 204
        link = await _only_link(server, "back", "upstream")
        assert link.stages == [] and link.reader_output is link.sink
        before = link.pipe.head
        assert await asyncio.wait_for(round_trip(reader, writer, PAYLOAD), WAIT) > 0
        assert link.pipe.head - before == len(PAYLOAD)
        writer.close()


async def test_a_long_latency_holds_more_than_the_pipe_and_loses_nothing() -> None:
    """As Go's latency toxic buffers 1024 chunks, ours reads on into memory once the pipe is full."""
    async with embedded() as (server, api), upstream(source(PAYLOAD)) as port:
        proxy_port = await create_proxy(api, "hold", port)
        await add_toxic(api, "hold", "latency", latency=FOREVER_MS, name="lag")
        reader, writer = await connect(proxy_port)
        link = await _only_link(server, "hold", "downstream")
        async with asyncio.timeout(WAIT):
            while _held(link) <= link.pipe.capacity:
                await asyncio.sleep(0.01)
        assert (await api.delete("/proxies/hold/toxics/lag")).status_code == 204
        assert await asyncio.wait_for(reader.readexactly(len(PAYLOAD)), WAIT) == PAYLOAD
        writer.close()


def test_byte_pipe_skips_what_a_toxic_dropped_before_the_next_chunk() -> None:
    source_in, source_out = socket.socketpair()
    destination_in, destination_out = socket.socketpair()
    pipe = BytePipe()
    try:
        source_in.sendall(b"dropped:kept")
        assert pipe.take_in(source_out.fileno(), 100) == 12
        assert pipe.give_out(destination_in.fileno(), offset=8, count=4) == 4  # bytes 0-7 were dropped
        assert destination_out.recv(100) == b"kept"
        assert pipe.fill == 0
    finally:
        pipe.close()
        for sock in (source_in, source_out, destination_in, destination_out):
            sock.close()
