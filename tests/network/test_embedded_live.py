"""Live changes on open connections, disabling, toxicity and seeds in the embedded Toxiproxy."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import random
import socket
import struct
import termios
from typing import Any

import pytest
from embedded_helpers import WAIT, add_toxic, connect, create_proxy, echo, embedded, read_all, round_trip, upstream

from harness.network.toxiproxy.link import CAN_SPLICE, Link
from harness.network.toxiproxy.server import EmbeddedToxiproxy
from harness.network.toxiproxy.toxics.latency import LatencyToxic

SLOW = 0.3  # a latency toxic of 300 ms; a loopback round trip without it is ~1 ms
# A latency longer than any wait here: a round trip that completes (round_trip waits at most WAIT)
# proves such a toxic did not apply, however loaded the machine is.
FOREVER_MS = int(WAIT * 1000) * 6
DRAW_DELAY = LatencyToxic.delay_ms


async def test_toxic_added_then_removed_on_an_open_connection_takes_effect_both_times() -> None:
    async with embedded() as (_, api), upstream(echo) as port:
        reader, writer = await connect(await create_proxy(api, "live", port))
        await round_trip(reader, writer, b"before")
        await add_toxic(api, "live", "latency", latency=FOREVER_MS, name="lag")
        writer.write(b"during")
        echoed = asyncio.ensure_future(reader.readexactly(6))
        done, _ = await asyncio.wait([echoed], timeout=SLOW)
        assert not done  # held by the toxic (under load a late echo could only make this pass)
        assert (await api.delete("/proxies/live/toxics/lag")).status_code == 204
        assert await asyncio.wait_for(echoed, WAIT) == b"during"  # let go at once
        await round_trip(reader, writer, b"after")
        writer.close()


async def test_toxic_updated_on_an_open_connection_uses_the_new_attributes() -> None:
    async with embedded() as (_, api), upstream(echo) as port:
        reader, writer = await connect(await create_proxy(api, "upd", port))
        await add_toxic(api, "upd", "latency", latency=FOREVER_MS, name="lag")
        response = await api.post("/proxies/upd/toxics/lag", json={"attributes": {"latency": int(SLOW * 1000)}})
        assert response.status_code == 200
        assert await round_trip(reader, writer, b"long") >= SLOW * 0.9  # and not FOREVER_MS
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
        await add_toxic(api, "never", "latency", toxicity=0, latency=FOREVER_MS)
        await add_toxic(api, "always", "latency", toxicity=1, latency=int(SLOW * 1000))
        for _ in range(5):
            reader, writer = await connect(never)
            await round_trip(reader, writer, b"x")  # completes: the toxic did not apply
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


def _toxic_applies(server: EmbeddedToxiproxy, proxy: str) -> dict[int, bool]:
    """Client port -> whether the toxicity draw applied the proxy's (single, downstream) toxic."""
    return {
        connection.client.getpeername()[1]: connection.down.stages[0].active
        for connection in server.api.collection.get(proxy).connections
    }


async def _which_connections_get_the_toxic(seed: int) -> list[bool]:
    """With toxicity 0.5, which of 12 successive connections get the toxic."""
    async with embedded(seed=seed) as (server, api), upstream(echo) as port:
        proxy_port = await create_proxy(api, "coin", port)
        await add_toxic(api, "coin", "latency", toxicity=0.5, latency=200)
        connections = [await connect(proxy_port) for _ in range(12)]  # accepted in this order
        times = await asyncio.gather(*(round_trip(r, w, b"?") for r, w in connections))
        applies = _toxic_applies(server, "coin")
        drawn = [applies[writer.get_extra_info("sockname")[1]] for _, writer in connections]
        for _, writer in connections:
            writer.close()
        assert all(took >= 0.18 for took, slowed in zip(times, drawn, strict=True) if slowed), (times, drawn)
        return drawn


async def test_same_seed_gives_same_toxicity_draws_and_another_seed_differs() -> None:
    first = await _which_connections_get_the_toxic(seed=7)
    again = await _which_connections_get_the_toxic(seed=7)
    other = await _which_connections_get_the_toxic(seed=8)
    assert first == again
    assert any(first) and not all(first)  # a 0.5 coin actually flipped both ways
    assert other != first


async def _jitter_sequence(seed: int, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The delays (ms) the latency toxic drew for six round trips of one byte each."""
    drawn: list[int] = []

    def recorded(toxic: LatencyToxic, rng: random.Random) -> int:
        drawn.append(DRAW_DELAY(toxic, rng))
        return drawn[-1]

    monkeypatch.setattr(LatencyToxic, "delay_ms", recorded)
    async with embedded(seed=seed) as (_, api), upstream(echo) as port:
        proxy_port = await create_proxy(api, "jit", port)
        await add_toxic(api, "jit", "latency", latency=100, jitter=80)
        reader, writer = await connect(proxy_port)
        times = [await round_trip(reader, writer, b"j") for _ in range(6)]
        writer.close()
    assert len(drawn) == len(times)  # one chunk, so one draw, per round trip
    assert all(took >= delay / 1000 * 0.9 for took, delay in zip(times, drawn, strict=True)), (times, drawn)
    return drawn


async def test_same_seed_gives_the_same_jitter_sequence(monkeypatch: pytest.MonkeyPatch) -> None:
    first, again = await _jitter_sequence(3, monkeypatch), await _jitter_sequence(3, monkeypatch)
    assert first == again
    assert max(first) - min(first) > 30  # jitter really varied the delays


async def _flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    block = bytes(65536)
    with contextlib.suppress(ConnectionError):
        while True:
            writer.write(block)
            await writer.drain()


def _queue(sock: socket.socket, request: int) -> int:
    return struct.unpack("i", fcntl.ioctl(sock.fileno(), request, b"\0" * 4))[0]


@pytest.mark.skipif(not CAN_SPLICE, reason="os.splice is Linux-only: without it a link has no kernel pipe")
async def test_bytes_in_the_fast_paths_pipe_go_through_a_toxic_added_to_a_busy_stream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only what the kernel holds towards the client escapes the new toxic, as in the real server."""
    loop = asyncio.get_running_loop()
    async with upstream(_flood) as port, embedded() as (server, api):
        proxy_port = await create_proxy(api, "busy", port)
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 * 1024)  # no autotuning
        client.setblocking(False)
        await asyncio.wait_for(loop.sock_connect(client, ("127.0.0.1", proxy_port)), WAIT)
        streamed = 0
        while streamed < 4 * 1024 * 1024:  # a busy stream; then the client stops reading
            streamed += len(await asyncio.wait_for(loop.sock_recv(client, 1 << 20), WAIT))
        proxy = server.api.collection.get("busy")
        (connection,) = proxy.connections
        link = connection.down
        async with asyncio.timeout(WAIT):
            while not link.sink.blocked or link.pipe.fill == 0:  # the pipe holds bytes it cannot send
                await asyncio.sleep(0.01)
        at_add: dict[str, int] = {}
        add_to_link = Link.add_toxic

        def add_toxic(self: Link, wrapper: Any) -> Any:
            if self is link:  # the kernel's queues towards the client, in the same turn as the change
                at_add["queued"] = _queue(link.dst, termios.TIOCOUTQ) + _queue(client, termios.FIONREAD)
                at_add["in_pipe"] = link.pipe.fill
            return add_to_link(self, wrapper)

        monkeypatch.setattr(Link, "add_toxic", add_toxic)
        await proxy.toxics.add_json(b'{"type": "timeout", "name": "swallow"}')  # swallows everything
        assert at_add["in_pipe"] > 0
        await proxy.toxics.remove("swallow")  # closes the connection (toxics/timeout.go)
        received = 0
        while data := await asyncio.wait_for(loop.sock_recv(client, 1 << 20), WAIT):
            received += len(data)
        client.close()
        assert received <= at_add["queued"], (received, at_add)
