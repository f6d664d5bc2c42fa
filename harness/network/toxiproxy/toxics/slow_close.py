"""slow_close: delays closing the connection by `delay` ms after the stream ends."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from harness.network.toxiproxy.toxics.base import Toxic

if TYPE_CHECKING:
    from harness.network.toxiproxy.link import Stage


class SlowCloseToxic(Toxic):
    type_name = "slow_close"
    struct_name = "SlowCloseToxic"
    fields = {"delay": "int64"}

    async def pipe(self, stage: Stage) -> None:
        while (chunk := await stage.recv()) is not None:
            await stage.send(chunk)
        await asyncio.sleep(self.delay / 1000)
        stage.close()
