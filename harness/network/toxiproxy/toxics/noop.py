"""noop: passes every chunk through unchanged (also what a stage runs when toxicity says no)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.network.toxiproxy.toxics.base import Toxic

if TYPE_CHECKING:
    from harness.network.toxiproxy.link import Stage


class NoopToxic(Toxic):
    type_name = "noop"
    struct_name = "NoopToxic"

    async def pipe(self, stage: Stage) -> None:
        while (chunk := await stage.recv()) is not None:
            await stage.send(chunk)
        stage.close()
