"""Live changes on open connections, disabling, toxicity and seeds in the embedded Toxiproxy."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from embedded_helpers import WAIT, add_toxic, connect, create_proxy, echo, embedded, read_all, round_trip, upstream

SLOW = 0.3  # a latency toxic of 300 ms; a loopback round trip without it is ~1 ms


async def test_toxic_added_then_removed_on_an_open_connection_takes_effect_both_times() -> None:
    async with embedded() as (_, api), upstream(echo) as port:
        reader, writer = await connect(await create_proxy(api, "live", port))
        assert await round_trip(reader, writer, b"before") < SLOW * 0.8
        await add_toxic(api, "live", "latency", latency=int(SLOW * 1000), name="lag")
        assert await round_trip(reader, writer, b"during") >= SLOW * 0.9
        assert (await api.delete("/proxies/live/toxics/lag")).status_code == 204
        assert await round_trip(reader, writer, b"after") < SLOW * 0.8
        writer.close()


async def test_toxic_updated_on_an_open_connection_uses_the_new_attributes() -> None:
    async with embedded() as (_, api), upstream(echo) as port:
        reader, writer = await connect(await create_proxy(api, "upd", port))
        await add_toxic(api, "upd", "latency", latency=10, name="lag")
        assert await round_trip(reader, writer, b"short") < SLOW * 0.8
        response = await api.post("/proxies/upd/toxics/lag", json={"attributes": {"latency": int(SLOW * 1000)}})
        assert response.status_code == 200
        assert await round_trip(reader, writer, b"long") >= SLOW * 0.9
        writer.close()


async def test_stream_stays_intact_while_toxics_come_and_go() -> None:
    payload = bytes(range(256)) * 8192  # 2 MiB
    async with embedded() as (_, api), upstream(echo) as port:
        reader, writer = await connect(await create_proxy(api, "churn", port))

        async def send() -> None:
            for offset in range(0, len(payload), 65536):
                writer.write(payload[offset : offset + 65536])
                await writer.drain()
                await asyncio.sleep(0.002)

        async def churn() -> None:
            for i in range(6):
                stream = "upstream" if i % 2 else "downstream"
                await add_toxic(api, "churn", "latency", stream=stream, latency=5, name=f"l{i}")
                await add_toxic(api, "churn", "slicer", stream=stream, average_size=4096, name=f"s{i}")
                await asyncio.sleep(0.01)
                assert (await api.delete(f"/proxies/churn/toxics/l{i}")).status_code == 204
                await api.post(f"/proxies/churn/toxics/s{i}", json={"attributes": {"average_size": 1000}})
                await asyncio.sleep(0.01)
                assert (await api.delete(f"/proxies/churn/toxics/s{i}")).status_code == 204

        received, *_ = await asyncio.gather(asyncio.wait_for(reader.readexactly(len(payload)), WAIT), send(), churn())
        assert received == payload
        writer.close()


async def test_disabling_a_proxy_drops_its_connections_and_stops_listening() -> None:
    async with embedded() as (_, api), upstream(echo) as port:
        proxy_port = await create_proxy(api, "off", port)
        reader, writer = await connect(proxy_port)
        await round_trip(reader, writer, b"hello")
        response = await api.post("/proxies/off", json={"enabled": False})
        assert response.json()["enabled"] is False
        with contextlib.suppress(ConnectionResetError):
            assert await read_all(reader) == b""
        with pytest.raises(OSError):
            await connect(proxy_port)
        await api.post("/proxies/off", json={"enabled": True})
        reader, writer = await connect(proxy_port)  # the same listen address again
        assert await round_trip(reader, writer, b"back") >= 0
        writer.close()


async def test_deleting_a_proxy_drops_its_connections() -> None:
    async with embedded() as (_, api), upstream(echo) as port:
        reader, writer = await connect(await create_proxy(api, "gone", port))
        await round_trip(reader, writer, b"hello")
        assert (await api.delete("/proxies/gone")).status_code == 204
        with contextlib.suppress(ConnectionResetError):
            assert await read_all(reader) == b""


async def test_toxicity_zero_never_applies_and_one_always_applies() -> None:
    async with embedded() as (_, api), upstream(echo) as port:
        never = await create_proxy(api, "never", port)
        always = await create_proxy(api, "always", port)
        await add_toxic(api, "never", "latency", toxicity=0, latency=int(SLOW * 1000))
        await add_toxic(api, "always", "latency", toxicity=1, latency=int(SLOW * 1000))
        for _ in range(5):
            reader, writer = await connect(never)
            assert await round_trip(reader, writer, b"x") < SLOW * 0.8
            writer.close()
            reader, writer = await connect(always)
            assert await round_trip(reader, writer, b"x") >= SLOW * 0.9
            writer.close()


async def test_reset_peer_with_toxicity_zero_closes_normally_not_with_rst() -> None:
    """The real server arms SO_LINGER 0 even when toxicity is 0 (issue #603); ours does not."""

    async def answer_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.read(100))
        await writer.drain()
        writer.close()

    async with embedded() as (_, api), upstream(answer_once) as port:
        proxy_port = await create_proxy(api, "calm", port)
        await add_toxic(api, "calm", "reset_peer", toxicity=0, timeout=0)
        reader, writer = await connect(proxy_port)
        writer.write(b"hello")
        assert await read_all(reader) == b"hello"  # a clean EOF: ConnectionResetError would fail
        writer.close()


async def _which_connections_get_the_toxic(seed: int) -> list[bool]:
    """With toxicity 0.5, which of 12 successive connections are slowed down."""
    async with embedded(seed=seed) as (_, api), upstream(echo) as port:
        proxy_port = await create_proxy(api, "coin", port)
        await add_toxic(api, "coin", "latency", toxicity=0.5, latency=200)
        connections = [await connect(proxy_port) for _ in range(12)]  # accepted in this order
        times = await asyncio.gather(*(round_trip(r, w, b"?") for r, w in connections))
        for _, writer in connections:
            writer.close()
        return [t >= 0.15 for t in times]


async def test_same_seed_gives_same_toxicity_draws_and_another_seed_differs() -> None:
    first = await _which_connections_get_the_toxic(seed=7)
    again = await _which_connections_get_the_toxic(seed=7)
    other = await _which_connections_get_the_toxic(seed=8)
    assert first == again
    assert any(first) and not all(first)  # a 0.5 coin actually flipped both ways
    assert other != first


async def _jittered_round_trips(seed: int) -> list[float]:
    async with embedded(seed=seed) as (_, api), upstream(echo) as port:
        proxy_port = await create_proxy(api, "jit", port)
        await add_toxic(api, "jit", "latency", latency=100, jitter=80)
        reader, writer = await connect(proxy_port)
        times = [await round_trip(reader, writer, b"j") for _ in range(6)]
        writer.close()
        return times


async def test_same_seed_gives_the_same_jitter_sequence() -> None:
    first, again = await _jittered_round_trips(3), await _jittered_round_trips(3)
    assert all(abs(a - b) < 0.03 for a, b in zip(first, again, strict=True)), (first, again)
    assert max(first) - min(first) > 0.03  # jitter really varied the delays
