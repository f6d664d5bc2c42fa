"""limit_data: lets `bytes` bytes through on this connection, then closes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.network.toxiproxy.toxics.base import Toxic

if TYPE_CHECKING:
    from harness.network.toxiproxy.link import Stage


class LimitDataState:
    def __init__(self) -> None:
        self.transmitted = 0


class LimitDataToxic(Toxic):
    type_name = "limit_data"
    struct_name = "LimitDataToxic"
    fields = {"bytes": "int64"}

    def new_state(self) -> LimitDataState:
        return LimitDataState()

    async def pipe(self, stage: Stage) -> None:
        state: LimitDataState = stage.state
        while state.transmitted < self.bytes:
            chunk = await stage.recv()
            if chunk is None:
                break
            remaining = self.bytes - state.transmitted
            if len(chunk) > remaining:
                chunk = chunk.cut(0, remaining)
            if len(chunk):
                await stage.send(chunk)
                state.transmitted += len(chunk)
        stage.close()
