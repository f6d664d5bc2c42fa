"""Conditions measured through a real TCP echo server, on the real toxiproxy-server and the embedded one."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest

from harness.network.control import Link, Network, network_backend
from harness.network.control.flapping import Flapping
from harness.network.control.profiles import get_profile

WAIT = 5.0  # upper bound on every wait, so a broken condition fails instead of hanging


@pytest.fixture(params=["binary", "embedded"])
async def net(request: pytest.FixtureRequest) -> AsyncIterator[Network]:
    if request.param == "binary":
        request.getfixturevalue("real_toxiproxy_bin")
    async with network_backend(request.param) as network:
        yield network


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


class Sink:
    """An upstream that reads each connection to its end and records how many bytes came."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self.done = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        total = 0
        try:
            while data := await reader.read(65536):
                total += len(data)
        except ConnectionError:
            pass
        self.received.append(total)
        self.done.set()
        writer.close()


@pytest.fixture
async def echo_upstream() -> AsyncIterator[str]:
    server = await asyncio.start_server(_echo, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    yield f"{host}:{port}"
    server.close()


@pytest.fixture
async def link(net: Network, echo_upstream: str) -> Link:
    return await net.proxy("echo", upstream=echo_upstream)


async def echo_once(link: Link, payload: bytes = b"ping") -> bytes:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(*link.address), WAIT)
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.readexactly(len(payload)), WAIT)
    finally:
        writer.close()


async def timed_echo(link: Link, payload: bytes = b"ping") -> float:
    started = time.monotonic()
    assert await echo_once(link, payload) == payload
    return time.monotonic() - started


async def test_offline_refuses_connections_and_drops_open_ones(link: Link) -> None:
    reader, writer = await asyncio.open_connection(*link.address)
    async with link.offline():
        with pytest.raises(OSError):
            await echo_once(link)
        # the open connection was dropped: it reads its end (or a reset), never an echo
        try:
            writer.write(b"lost")
            await writer.drain()
            assert await asyncio.wait_for(reader.read(100), WAIT) == b""
        except ConnectionError:
            pass
    writer.close()
    assert await echo_once(link) == b"ping"


async def test_online_undoes_offline_in_a_timeline(link: Link) -> None:
    offline, online = link.offline(), link.online()
    await offline.apply()
    await online.apply()
    assert await echo_once(link) == b"ping"
    await online.remove()  # back to offline
    with pytest.raises(OSError):
        await echo_once(link)
    await offline.remove()
    assert await echo_once(link) == b"ping"


async def test_latency_adds_at_least_the_configured_delay(link: Link, net: Network) -> None:
    async with link.latency(300, stream="downstream"):
        assert await timed_echo(link) >= 0.29
    assert await net.client.toxics(link.name) == []
    assert await echo_once(link) == b"ping"


async def test_latency_with_jitter_stays_within_its_lower_bound(link: Link) -> None:
    async with link.latency(200, jitter=100, stream="both"):
        assert await timed_echo(link) >= 2 * (200 - 100) / 1000 - 0.01


async def test_latency_can_be_changed_while_applied(link: Link, net: Network) -> None:
    async with link.latency(50) as slow:
        await slow.update(latency=400)
        toxics = await net.client.toxics(link.name)
        assert [toxic["attributes"]["latency"] for toxic in toxics] == [400]
        assert await timed_echo(link) >= 0.39


async def test_bandwidth_limits_the_rate(link: Link) -> None:
    payload = b"x" * 60_000
    async with link.bandwidth(100, stream="downstream"):  # 100 KB/s: 60 KB take >= 0.6 s
        assert await timed_echo(link, payload) >= 0.5


@pytest.mark.parametrize("stream", ["downstream", "upstream"])
async def test_cut_after_delivers_exactly_n_bytes(net: Network, stream: str) -> None:
    sink = Sink()
    sink_server = await asyncio.start_server(sink.handle, "127.0.0.1", 0)
    echo_server = await asyncio.start_server(_echo, "127.0.0.1", 0)
    upstream = sink_server if stream == "upstream" else echo_server
    link = await net.proxy("cut", upstream="127.0.0.1:%d" % upstream.sockets[0].getsockname()[1])
    try:
        async with link.cut_after(1000, stream=stream):
            reader, writer = await asyncio.open_connection(*link.address)
            writer.write(b"y" * 10_000)
            await writer.drain()
            if stream == "downstream":
                received = await asyncio.wait_for(reader.read(-1), WAIT)
                assert len(received) == 1000
            else:
                await asyncio.wait_for(sink.done.wait(), WAIT)
                assert sink.received == [1000]
            writer.close()
    finally:
        sink_server.close()
        echo_server.close()


async def test_blackhole_lets_nothing_through_until_removed(link: Link) -> None:
    async with link.blackhole():
        reader, writer = await asyncio.open_connection(*link.address)
        writer.write(b"into the void")
        await writer.drain()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.read(100), 0.5)
        writer.close()
    assert await echo_once(link) == b"ping"


async def test_connection_reset_resets_the_connection(link: Link) -> None:
    async with link.connection_reset(after_ms=0):
        reader, writer = await asyncio.open_connection(*link.address)
        with pytest.raises(ConnectionError):
            writer.write(b"hello")
            await writer.drain()
            await asyncio.wait_for(reader.read(100), WAIT)
            writer.write(b"hello again")  # a reset that raced the first write shows up here
            await writer.drain()
            await asyncio.wait_for(reader.read(100), WAIT)
        writer.close()
    assert await echo_once(link) == b"ping"


async def _greet_and_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"hello")
    await writer.drain()
    writer.close()


async def test_slow_close_delays_the_close(net: Network) -> None:
    greeter = await asyncio.start_server(_greet_and_close, "127.0.0.1", 0)
    link = await net.proxy("greeter", upstream="127.0.0.1:%d" % greeter.sockets[0].getsockname()[1])
    try:
        async with link.slow_close(400):
            reader, writer = await asyncio.open_connection(*link.address)
            assert await asyncio.wait_for(reader.readexactly(5), WAIT) == b"hello"
            started = time.monotonic()  # the greeter has closed; the proxy holds that close back
            assert await asyncio.wait_for(reader.read(-1), WAIT) == b""
            assert time.monotonic() - started >= 0.35
            writer.close()
    finally:
        greeter.close()


async def test_a_failing_block_still_removes_its_condition(link: Link, net: Network) -> None:
    with pytest.raises(RuntimeError):
        async with link.latency(100):
            raise RuntimeError("scenario step failed")
    assert await net.client.toxics(link.name) == []


async def _enabled_states(net: Network, link: Link, seconds: float) -> set[bool]:
    seen: set[bool] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(seen) < 2:
        seen.add(bool((await net.client.get_proxy(link.name))["enabled"]))
        await asyncio.sleep(0.02)
    return seen


async def test_flapping_toggles_and_ends_online(link: Link, net: Network) -> None:
    async with link.flapping(up=0.2, down=0.2) as flapping:
        assert isinstance(flapping, Flapping)
        assert await _enabled_states(net, link, WAIT) == {True, False}
        deadline = time.monotonic() + WAIT
        while len(flapping.transitions) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    assert [state for _, state in flapping.transitions[:2]] == ["offline", "online"]
    assert (await net.client.get_proxy(link.name))["enabled"] is True
    assert await echo_once(link) == b"ping"


async def test_profile_applies_its_figures_as_toxics(link: Link, net: Network) -> None:
    edge = get_profile("EDGE")
    async with link.profile("EDGE"):
        toxics = {(toxic["type"], toxic["stream"]): toxic["attributes"]
                  for toxic in await net.client.toxics(link.name)}
        half_rtt, half_jitter = edge.rtt_ms // 2, edge.jitter_ms // 2
        assert toxics[("latency", "upstream")] == {"latency": half_rtt, "jitter": half_jitter}
        assert toxics[("latency", "downstream")] == {"latency": half_rtt, "jitter": half_jitter}
        assert toxics[("bandwidth", "downstream")] == {"rate": 30}  # 240 kbit/s
        assert toxics[("bandwidth", "upstream")] == {"rate": 25}  # 200 kbit/s
        assert await timed_echo(link) >= (edge.rtt_ms - edge.jitter_ms) / 1000 - 0.01
    assert await net.client.toxics(link.name) == []


async def test_a_patchy_profile_also_flaps(link: Link, net: Network) -> None:
    quick_tunnel = dataclasses.replace(get_profile("tunnel"), flapping=(0.2, 0.2))
    async with link.profile(quick_tunnel):
        assert await _enabled_states(net, link, WAIT) == {True, False}
    assert await net.client.toxics(link.name) == []
    assert (await net.client.get_proxy(link.name))["enabled"] is True


async def test_conditions_by_name_for_yaml_timelines(link: Link) -> None:
    offline = link.condition("offline")
    await offline.apply()
    with pytest.raises(OSError):
        await echo_once(link)
    await offline.remove()
    async with link.condition("latency", ms=200, stream="both"):
        assert await timed_echo(link) >= 0.39


async def test_toxiproxy_python_can_drive_the_backend(net: Network, echo_upstream: str) -> None:
    import toxiproxy
    from toxiproxy.api import APIConsumer

    api = urlsplit(net.url)

    def drive() -> list[str]:
        # toxiproxy-python is synchronous with a class-wide address: run it in a thread, so the
        # embedded server on this event loop can answer it.
        APIConsumer.host, APIConsumer.port = api.hostname, api.port
        server = toxiproxy.Toxiproxy()
        proxy = server.create(upstream=echo_upstream, name="py_client", listen="127.0.0.1:0")
        proxy.add_toxic(type="latency", attributes={"latency": 100})
        names = sorted(proxy.toxics())
        proxy.disable()
        proxy.enable()
        proxy.destroy()
        return names

    assert await asyncio.to_thread(drive) == ["latency_downstream"]
    assert "py_client" not in await net.client.proxies()
