"""bandwidth: limits the stream to `rate` KB/s (1 KB = 1000 bytes, as in toxics/bandwidth.go).

Each byte is scheduled on a virtual clock that is never more than LAG_SECONDS behind real time
(no credit for idle periods); chunks larger than 100 ms worth of data go out in 100 ms slices
like the real toxic.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from harness.network.toxiproxy.link import Chunk
from harness.network.toxiproxy.toxics.base import Toxic

if TYPE_CHECKING:
    from harness.network.toxiproxy.link import Stage

SLICE_SECONDS = 0.1
# How far the schedule may lag real time and still count: covers the event loop's wake-up delay
# between slices (Go's toxic likewise subtracts its timer error from the next sleep).
LAG_SECONDS = 0.02


class BandwidthToxic(Toxic):
    type_name = "bandwidth"
    struct_name = "BandwidthToxic"
    fields = {"rate": "int64"}

    async def pipe(self, stage: Stage) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while (chunk := await stage.recv()) is not None:
            if self.rate <= 0:
                await stage.send(chunk)
                continue
            bytes_per_second = self.rate * 1000
            slice_size = max(1, int(bytes_per_second * SLICE_SECONDS))
            data = chunk.data
            while data:
                piece, data = data[:slice_size], data[slice_size:]
                stage.pending = Chunk(piece + data, chunk.time)
                due = max(due, loop.time() - LAG_SECONDS) + len(piece) / bytes_per_second
                await asyncio.sleep(due - loop.time())
                await stage.send(Chunk(piece, chunk.time))  # send() clears `pending`
        stage.close()
