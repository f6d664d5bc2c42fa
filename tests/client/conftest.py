"""Fixtures for the reference client's tests: a fake clock, a recording sleep, a device factory."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest
import respx

from harness.client.device import Device
from harness.client.retry import RetryPolicy
from harness.server.running import InProcessServer
from server_world import World, seed_world
from recorded_link import proxied

BASE_URL = "http://server.test"


class FakeClock:
    """Device clock that advances one second per reading."""

    def __init__(self) -> None:
        self.moment = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.moment += timedelta(seconds=1)
        return self.moment


class RecordingSleep:
    """Records every delay the engine asks for and returns at once (no timed tests)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


@pytest.fixture
def mock_server() -> respx.MockRouter:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.get("/health").respond(200, json={"status": "ok"})
        yield router


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
async def make_device(tmp_path: Path, sleep: RecordingSleep) -> AsyncIterator[Callable[..., Device]]:
    devices: list[Device] = []

    def make(store: Path | None = None, **kwargs: Any) -> Device:
        kwargs.setdefault("clock", FakeClock())
        kwargs.setdefault("seed", 7)
        kwargs.setdefault("sleep", sleep)
        kwargs.setdefault("policy", RetryPolicy(base=0.1, cap=5.0, probe_interval=0.01, probe_cap=0.02))
        device = Device(store or tmp_path / "store", BASE_URL, "tech-token", **kwargs)
        devices.append(device)
        return device

    yield make
    for device in devices:
        try:
            await device.close()
        except Exception:
            pass  # already closed by the test


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The real reference server, in this process (one per module; each test seeds its own tenant)."""
    with InProcessServer(tmp_path_factory.mktemp("server") / "server.db") as running:
        yield running


@pytest.fixture
def world(server) -> World:
    return seed_world(server.url, server.admin_token)


@pytest.fixture
async def proxy(real_toxiproxy_bin, server):
    """The real toxiproxy-server with one proxy in front of the reference server."""
    async with proxied(server.url.removeprefix("http://")) as link:
        yield link
