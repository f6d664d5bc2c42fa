"""Shared set-up of the client benchmarks: real server process, real toxiproxy-server, a tenant.

Reuses the client tests' proxy (tests/client/recorded_link.py, on harness.network.control) and seeding.
"""

from __future__ import annotations

import shutil
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "client")]

from harness.server.running import ServerProcess  # noqa: E402
from server_world import World, seed_world  # noqa: E402
from recorded_link import RecordedLink, proxied  # noqa: E402


def toxiproxy_bin() -> str:
    path = shutil.which("toxiproxy-server")
    if path is None:
        raise SystemExit("bench: toxiproxy-server is not on PATH; run `bash .ci/run` once (exit 2)")
    return path


@asynccontextmanager
async def server_and_proxy(workdir: Path) -> AsyncIterator[tuple[World, RecordedLink]]:
    """The reference server in its own process, behind a real toxiproxy-server proxy."""
    toxiproxy_bin()
    with ServerProcess(workdir / "server.db") as server:
        world = seed_world(server.url, server.admin_token)
        async with proxied(server.url.removeprefix("http://")) as proxy:
            yield world, proxy


async def sync_until_idle(device: Any, timeout: float) -> tuple[float, dict[str, Any]]:
    """Start the device, wait until its outbox is drained; returns seconds taken and its history."""
    started = time.monotonic()
    await device.start()
    await device.wait_idle(timeout=timeout)
    elapsed = time.monotonic() - started
    history = device.history()
    return elapsed, history
