"""The embedded Toxiproxy-compatible server: Toxiproxy 2.x's HTTP API and toxics on asyncio.

Start it with :class:`harness.network.toxiproxy.server.EmbeddedToxiproxy` or
``offline-harness toxiproxy --host H --port P``.
"""

from __future__ import annotations
