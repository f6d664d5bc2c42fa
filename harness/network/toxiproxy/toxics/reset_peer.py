"""reset_peer: on the first data (or end of stream), waits `timeout` ms then resets the connection.

Both sockets are closed with SO_LINGER 0, so each peer gets a TCP RST. As in toxics/reset_peer.go
the toxic itself only ends the stream after the wait; the sockets reset when that end has gone
through the rest of the chain, so a second reset_peer adds its own wait. Unlike the real server
(issue #603) the RST is only armed when the toxic actually fires, so `toxicity: 0` has no effect.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from harness.network.toxiproxy.toxics.base import Toxic

if TYPE_CHECKING:
    from harness.network.toxiproxy.link import Stage


class ResetPeerToxic(Toxic):
    type_name = "reset_peer"
    struct_name = "ResetToxic"
    fields = {"timeout": "int64"}

    async def pipe(self, stage: Stage) -> None:
        await stage.recv()
        await asyncio.sleep(self.timeout / 1000)
        stage.reset_connection()
