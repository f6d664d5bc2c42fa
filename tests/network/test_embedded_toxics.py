"""Each toxic of the embedded Toxiproxy measured on real loopback traffic (generous tolerances)."""

from __future__ import annotations

import asyncio
import time

import pytest
from embedded_helpers import (
    WAIT,
    add_toxic,
    connect,
    create_proxy,
    echo,
    embedded,
    read_all,
    round_trip,
    source,
    upstream,
)


async def test_noop_passes_data_unchanged() -> None:
    payload = bytes(range(256)) * 400
    async with embedded() as (_, api), upstream(echo) as port:
        proxy_port = await create_proxy(api, "noop", port)
        await add_toxic(api, "noop", "noop")
        reader, writer = await connect(proxy_port)
        writer.write(payload)
        assert await asyncio.wait_for(reader.readexactly(len(payload)), WAIT) == payload
        writer.close()


async def test_no_toxic_fast_path_carries_a_large_stream_intact() -> None:
    payload = bytes(range(251)) * 20_000  # ~5 MB, not a multiple of any buffer size
    async with embedded() as (_, api), upstream(echo) as port:
        reader, writer = await connect(await create_proxy(api, "fast", port))
        writer.write(payload)
        assert await asyncio.wait_for(reader.readexactly(len(payload)), WAIT) == payload
        writer.close()


@pytest.mark.parametrize("stream", ["downstream", "upstream"])
async def test_latency_100ms_adds_at_least_90ms_per_round_trip(stream: str) -> None:
    async with embedded() as (_, api), upstream(echo) as port:
        proxy_port = await create_proxy(api, "lat", port)
        await add_toxic(api, "lat", "latency", stream=stream, latency=100)
        reader, writer = await connect(proxy_port)
        for _ in range(3):
            assert await round_trip(reader, writer, b"ping") >= 0.09
        writer.close()


async def test_bandwidth_100kb_per_s_takes_at_least_0_4s_for_50kb() -> None:
    payload = b"b" * 50_000
    async with embedded() as (_, api), upstream(source(payload)) as port:
        proxy_port = await create_proxy(api, "bw", port)
        await add_toxic(api, "bw", "bandwidth", rate=100)
        start = time.perf_counter()
        reader, writer = await connect(proxy_port)
        assert await asyncio.wait_for(reader.readexactly(len(payload)), WAIT) == payload
        assert time.perf_counter() - start >= 0.4  # 0.5 s at 100 KB/s
        writer.close()


async def test_slow_close_delays_the_close_by_at_least_the_delay() -> None:
    async def say_hi_and_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hi")
        await writer.drain()
        writer.close()

    async with embedded() as (_, api), upstream(say_hi_and_close) as port:
        proxy_port = await create_proxy(api, "slow", port)
        await add_toxic(api, "slow", "slow_close", delay=300)
        start = time.perf_counter()
        reader, writer = await connect(proxy_port)
        assert await read_all(reader) == b"hi"
        assert time.perf_counter() - start >= 0.25
        writer.close()


async def test_timeout_drops_data_then_closes_after_the_timeout() -> None:
    async with embedded() as (_, api), upstream(echo) as port:
        proxy_port = await create_proxy(api, "to", port)
        await add_toxic(api, "to", "timeout", stream="upstream", timeout=200)
        start = time.perf_counter()
        reader, writer = await connect(proxy_port)
        writer.write(b"lost")
        assert await read_all(reader) == b""  # nothing echoed, then EOF
        assert time.perf_counter() - start >= 0.15
        writer.close()


async def test_timeout_zero_drops_data_and_keeps_the_connection_open() -> None:
    async with embedded() as (_, api), upstream(echo) as port:
        proxy_port = await create_proxy(api, "to0", port)
        await add_toxic(api, "to0", "timeout", stream="upstream", timeout=0)
        reader, writer = await connect(proxy_port)
        writer.write(b"lost")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(reader.read(1), 0.5)
        writer.close()


async def test_reset_peer_resets_the_connection_after_the_timeout() -> None:
    async with embedded() as (_, api), upstream(echo) as port:
        proxy_port = await create_proxy(api, "rst", port)
        await add_toxic(api, "rst", "reset_peer", stream="upstream", timeout=100)
        start = time.perf_counter()
        reader, writer = await connect(proxy_port)
        writer.write(b"x")
        with pytest.raises(ConnectionResetError):
            await asyncio.wait_for(reader.read(), WAIT)
        assert time.perf_counter() - start >= 0.09
        writer.close()


async def test_slicer_delivers_the_data_in_many_small_pieces() -> None:
    payload = bytes(range(200)) * 10
    async with embedded() as (_, api), upstream(source(payload)) as port:
        proxy_port = await create_proxy(api, "slice", port)
        await add_toxic(api, "slice", "slicer", average_size=50, size_variation=20, delay=2000)
        reader, writer = await connect(proxy_port)
        pieces = []
        while sum(map(len, pieces)) < len(payload):
            pieces.append(await asyncio.wait_for(reader.read(65536), WAIT))
        assert b"".join(pieces) == payload
        assert len(pieces) >= 5  # 40 slices 2 ms apart; reads may merge a few
        assert max(map(len, pieces)) < len(payload)
        writer.close()


async def test_slicer_cut_points_cover_the_chunk_with_sizes_near_the_average() -> None:
    import random

    from harness.network.toxiproxy.toxics.slicer import SlicerToxic

    slicer = SlicerToxic()
    slicer.set_attributes({"average_size": 100, "size_variation": 30, "delay": 0})
    points = slicer.cut_points(0, 10_000, random.Random(1))
    sizes = [points[i + 1] - points[i] for i in range(0, len(points), 2)]
    assert points[0] == 0 and points[-1] == 10_000 and sum(sizes) == 10_000
    assert all(points[i] == points[i + 1] for i in range(1, len(points) - 1, 2))  # contiguous
    assert all(0 < size <= 130 for size in sizes)


async def test_limit_data_passes_exactly_the_limit_then_closes() -> None:
    payload = b"L" * 1000
    async with embedded() as (_, api), upstream(source(payload)) as port:
        proxy_port = await create_proxy(api, "limit", port)
        await add_toxic(api, "limit", "limit_data", bytes=100)
        reader, writer = await connect(proxy_port)
        assert await read_all(reader) == b"L" * 100
        writer.close()


class _RecordingStage:
    """What a toxic sees of its stage: chunks in, chunks out (recorded), close."""

    def __init__(self, chunks: list[object]) -> None:
        self.inputs = list(chunks) + [None]
        self.sent: list[object] = []
        self.pending = None
        self.closed = False

    async def recv(self) -> object:
        return self.inputs.pop(0)

    async def send(self, chunk: object) -> None:
        self.sent.append(chunk)
        self.pending = None

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize(("rate_kb", "largest"), [(100_000, 100_000), (1_000_000, 1_000_000)])
async def test_bandwidth_paces_a_large_read_in_pieces_as_small_as_gos_reads(rate_kb: int, largest: int) -> None:
    """Go paces each 32 KiB read; ours can be a 1 MiB pipe's worth: it goes out in pieces of 32 KiB
    or 1 ms of data, whichever is more, never in one burst (here: 1 ms is 100 KB, then 1 MB)."""
    from harness.network.toxiproxy.chunks import Chunk
    from harness.network.toxiproxy.toxics.bandwidth import BandwidthToxic

    toxic = BandwidthToxic()
    toxic.set_attributes({"rate": rate_kb})
    stage = _RecordingStage([Chunk(None, 0.0, offset=0, size=3 << 20)])
    await asyncio.wait_for(toxic.pipe(stage), WAIT)  # type: ignore[arg-type]
    sizes = [len(chunk) for chunk in stage.sent]  # type: ignore[arg-type]
    assert sum(sizes) == 3 << 20 and stage.closed
    assert max(sizes) == largest
    offsets = [chunk.offset for chunk in stage.sent]  # type: ignore[attr-defined]
    assert offsets == [sum(sizes[:index]) for index in range(len(sizes))]  # in order, contiguous


async def test_bandwidth_at_a_low_rate_lets_out_32_kib_pieces_like_go() -> None:
    from harness.network.toxiproxy.chunks import Chunk
    from harness.network.toxiproxy.toxics.bandwidth import GO_READ_SIZE, BandwidthToxic

    toxic = BandwidthToxic()
    toxic.set_attributes({"rate": 10_000})  # 10 MB/s: 1 ms is 10 KB, so Go's 32 KiB reads rule
    stage = _RecordingStage([Chunk(b"b" * 200_000, 0.0)])
    await asyncio.wait_for(toxic.pipe(stage), WAIT)  # type: ignore[arg-type]
    assert [len(chunk) for chunk in stage.sent] == [GO_READ_SIZE] * 6 + [200_000 - 6 * GO_READ_SIZE]  # type: ignore[arg-type]
