"""latency: delays each chunk by `latency` ms, plus or minus up to `jitter` ms.

As in toxics/latency.go the delay counts from the chunk's timestamp (when it was read from the
socket), so a stream of chunks is delayed as a whole, not once per chunk; and the timestamp moves on
by the time waited, so stacked latency toxics add up (2 x 100 ms is 200 ms). Go's exact rule is
kept: the move is the wait computed when the chunk was taken, so a chunk that queued in the toxic's
buffer counts as that much early for the next toxic.
"""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

from harness.network.toxiproxy.toxics.base import Toxic

if TYPE_CHECKING:
    from harness.network.toxiproxy.link import Stage


class LatencyToxic(Toxic):
    type_name = "latency"
    struct_name = "LatencyToxic"
    fields = {"latency": "int64", "jitter": "int64"}
    buffer_size = 1024  # Go: GetBufferSize() == 1024

    def delay_ms(self, rng: random.Random) -> int:
        delay = self.latency
        if self.jitter > 0:
            delay += rng.randrange(self.jitter * 2) - self.jitter
        return delay

    async def pipe(self, stage: Stage) -> None:
        loop = asyncio.get_running_loop()
        while (chunk := await stage.recv()) is not None:
            stage.pending = chunk
            wait = chunk.time + self.delay_ms(stage.rng) / 1000 - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            chunk.time += wait  # as Go does (even when negative), so a next latency toxic adds its own
            await stage.send(chunk)
        stage.close()
