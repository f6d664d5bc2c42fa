"""timeout: swallows all data; closes the connection after `timeout` ms (0: never).

The timer starts again whenever a chunk arrives: toxics/timeout.go waits on a new
`time.After(timeout)` on each turn of its loop, so the connection closes `timeout` ms after the last
data (a stacked toxic ahead of it, such as latency, delays the close).

Removing this toxic from a live connection closes that connection, as in toxics/timeout.go.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from harness.network.toxiproxy.toxics.base import Toxic

if TYPE_CHECKING:
    from harness.network.toxiproxy.link import Stage


class TimeoutToxic(Toxic):
    type_name = "timeout"
    struct_name = "TimeoutToxic"
    fields = {"timeout": "int64"}

    async def pipe(self, stage: Stage) -> None:
        timeout = self.timeout / 1000 if self.timeout > 0 else None
        with contextlib.suppress(TimeoutError):
            while True:
                async with asyncio.timeout(timeout):  # a fresh timer for every chunk, as in Go
                    if await stage.recv() is None:
                        break
                # drop the data on the ground
        stage.close()

    def cleanup(self, stage: Stage) -> None:
        stage.close()
