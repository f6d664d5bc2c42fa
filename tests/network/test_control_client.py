"""Our async Toxiproxy client against the real toxiproxy-server: every call, and its errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from harness.network.control import Network, ToxiproxyClient, ToxiproxyError, network_backend
from harness.network.control.backends import free_port


@pytest.fixture
async def net(real_toxiproxy_bin: str) -> AsyncIterator[Network]:
    async with network_backend("binary") as network:
        yield network


async def test_version_is_a_string(net: Network) -> None:
    assert isinstance(await net.client.version(), str)
    assert await net.client.version() != ""


async def test_proxy_create_get_update_delete(net: Network) -> None:
    client = net.client
    created = await client.create_proxy("db", "127.0.0.1:5432")
    assert created["name"] == "db" and created["enabled"] is True
    assert created["listen"].startswith("127.0.0.1:") and not created["listen"].endswith(":0")
    assert (await client.get_proxy("db"))["upstream"] == "127.0.0.1:5432"
    assert (await client.disable_proxy("db"))["enabled"] is False
    assert (await client.enable_proxy("db"))["enabled"] is True
    assert (await client.update_proxy("db", upstream="127.0.0.1:5433"))["upstream"] == "127.0.0.1:5433"
    assert set(await client.proxies()) == {"db"}
    await client.delete_proxy("db")
    assert await client.proxies() == {}


async def test_toxic_add_update_remove(net: Network) -> None:
    client = net.client
    await client.create_proxy("db", "127.0.0.1:5432")
    added = await client.add_toxic("db", "latency", name="slow", stream="upstream",
                                   attributes={"latency": 100, "jitter": 10})
    assert added["attributes"] == {"latency": 100, "jitter": 10}
    updated = await client.update_toxic("db", "slow", attributes={"latency": 500}, toxicity=0.5)
    assert updated["attributes"] == {"latency": 500, "jitter": 10}
    assert updated["toxicity"] == 0.5
    assert (await client.get_toxic("db", "slow"))["attributes"]["latency"] == 500
    await client.remove_toxic("db", "slow")
    assert await client.toxics("db") == []


async def test_reset_enables_proxies_and_removes_toxics(net: Network) -> None:
    client = net.client
    await client.create_proxy("db", "127.0.0.1:5432", enabled=False)
    await client.add_toxic("db", "timeout", attributes={"timeout": 0})
    await client.reset()
    assert (await client.get_proxy("db"))["enabled"] is True
    assert await client.toxics("db") == []


async def test_populate_creates_several_proxies(net: Network) -> None:
    made = await net.client.populate([
        {"name": "a", "upstream": "127.0.0.1:1001", "listen": "127.0.0.1:0"},
        {"name": "b", "upstream": "127.0.0.1:1002", "listen": "127.0.0.1:0"},
    ])
    assert sorted(proxy["name"] for proxy in made) == ["a", "b"]
    assert set(await net.client.proxies()) == {"a", "b"}


async def test_missing_proxy_error_carries_status_and_server_message(net: Network) -> None:
    with pytest.raises(ToxiproxyError) as caught:
        await net.client.get_proxy("nope")
    assert (caught.value.status, caught.value.message) == (404, "proxy not found")
    assert "GET /proxies/nope: 404 proxy not found" in str(caught.value)


async def test_duplicate_proxy_is_a_409(net: Network) -> None:
    await net.client.create_proxy("db", "127.0.0.1:5432")
    with pytest.raises(ToxiproxyError) as caught:
        await net.client.create_proxy("db", "127.0.0.1:5432")
    assert (caught.value.status, caught.value.message) == (409, "proxy already exists")


async def test_invalid_toxic_type_is_a_400(net: Network) -> None:
    await net.client.create_proxy("db", "127.0.0.1:5432")
    with pytest.raises(ToxiproxyError) as caught:
        await net.client.add_toxic("db", "gremlins")
    assert (caught.value.status, caught.value.message) == (400, "invalid toxic type")


async def test_bad_stream_is_refused_before_any_request() -> None:
    async with ToxiproxyClient("http://127.0.0.1:9") as client:
        with pytest.raises(ValueError, match="stream must be 'upstream' or 'downstream'"):
            await client.add_toxic("db", "latency", stream="sideways")


async def test_no_server_is_an_error_with_status_0() -> None:
    async with ToxiproxyClient(f"http://127.0.0.1:{free_port('127.0.0.1')}", timeout=2) as client:
        with pytest.raises(ToxiproxyError) as caught:
            await client.version()
    assert caught.value.status == 0
    assert "no answer from Toxiproxy" in caught.value.message
