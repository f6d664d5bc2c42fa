"""Choosing and starting a Toxiproxy backend: order, lifecycles, and one clear error when none fits."""

from __future__ import annotations


import pytest

from harness.core.errors import HarnessError
from harness.network.control import BackendError, ToxiproxyClient, ToxiproxyError, network_backend
from harness.network.control.backends import docker_unavailable_reason, free_port, resolve_backend


def test_unknown_kind_is_one_clear_error() -> None:
    with pytest.raises(BackendError, match=r"unknown network backend 'carrier-pigeon'; use one of auto"):
        resolve_backend("carrier-pigeon")


def test_backend_error_is_a_usage_error_for_the_cli() -> None:
    assert issubclass(BackendError, HarnessError)
    assert issubclass(BackendError, ValueError)


def test_auto_prefers_an_explicit_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOXIPROXY_URL", "http://toxiproxy:8474")
    assert resolve_backend("auto") == ("url", "http://toxiproxy:8474")
    assert resolve_backend("auto", url="http://other:8474") == ("url", "http://other:8474")


def test_auto_takes_the_binary_on_path_next(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("TOXIPROXY_URL", raising=False)
    binary = tmp_path / "toxiproxy-server"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert resolve_backend("auto") == ("binary", str(binary))


def test_auto_falls_back_to_embedded(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("TOXIPROXY_URL", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert resolve_backend("auto") == ("embedded", "")


def test_binary_kind_without_binary_names_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackendError, match=r"no toxiproxy-server on PATH; install it"):
        resolve_backend("binary")


async def test_unreachable_url_is_one_clear_error() -> None:
    url = f"http://127.0.0.1:{free_port('127.0.0.1')}"
    with pytest.raises(BackendError, match=r"no Toxiproxy answered at .* unset TOXIPROXY_URL"):
        async with network_backend(url):
            pass


async def test_binary_backend_starts_and_stops_the_server(real_toxiproxy_bin: str) -> None:
    async with network_backend("binary") as net:
        assert net.kind == "binary"
        assert await net.client.version()
        url = net.url
    async with ToxiproxyClient(url, timeout=2) as client:
        with pytest.raises(ToxiproxyError):
            await client.version()


async def test_url_backend_cleans_up_only_its_own_proxies(real_toxiproxy_bin: str) -> None:
    async with network_backend("binary") as server:
        await server.client.create_proxy("theirs", "127.0.0.1:1")
        async with network_backend(server.url) as net:
            assert net.kind == "url"
            await net.proxy("ours", upstream="127.0.0.1:2")
            assert set(await net.client.proxies()) == {"theirs", "ours"}
        assert set(await server.client.proxies()) == {"theirs"}


async def test_auto_uses_toxiproxy_url(real_toxiproxy_bin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async with network_backend("binary") as server:
        monkeypatch.setenv("TOXIPROXY_URL", server.url)
        async with network_backend("auto") as net:
            assert (net.kind, net.url) == ("url", server.url)


async def test_embedded_backend_answers_the_api() -> None:
    async with network_backend("embedded", seed=1) as net:
        assert net.kind == "embedded"
        assert await net.client.version()
        link = await net.proxy("api", upstream="127.0.0.1:1")
        assert link.host == "127.0.0.1" and link.port > 0


async def test_docker_backend_runs_the_real_image() -> None:
    reason = docker_unavailable_reason()
    if reason is not None:
        pytest.skip(f"Docker backend not testable here: {reason}")
    async with network_backend("docker") as net:
        assert net.kind == "docker"
        assert await net.client.version() == "2.12.0"
        link = await net.proxy("api", upstream="127.0.0.1:1")
        assert link.host == "127.0.0.1" and link.port > 0


async def test_docker_backend_without_engine_names_the_fix() -> None:
    if docker_unavailable_reason() is None:
        pytest.skip("a Docker engine runs here")
    with pytest.raises(BackendError, match=r"start Docker, or choose the embedded or binary backend"):
        async with network_backend("docker"):
            pass

