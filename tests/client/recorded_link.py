"""A real toxiproxy-server proxy in front of the reference server, keeping the checker's timeline.

Built on harness.network.control (the project's own backends and conditions); this only adds the
network timeline ``[{"at", "state"}]`` the checker reads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone

from harness.network.control.backends import network_backend
from harness.network.control.link import Link


class RecordedLink:
    def __init__(self, link: Link) -> None:
        self.link = link
        self.url = link.base_url
        self.timeline: list[dict[str, str]] = []

    async def set_enabled(self, enabled: bool) -> None:
        if not enabled:
            self._mark("offline")
        await self.link.set_enabled(enabled)
        if enabled:
            self._mark("online")

    def _mark(self, state: str) -> None:
        self.timeline.append({"at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"), "state": state})


@asynccontextmanager
async def proxied(upstream: str) -> AsyncIterator[RecordedLink]:
    """The real toxiproxy-server (on PATH) with one proxy to ``upstream`` (``host:port``)."""
    async with network_backend("binary") as net:
        yield RecordedLink(await net.proxy("server", upstream))
