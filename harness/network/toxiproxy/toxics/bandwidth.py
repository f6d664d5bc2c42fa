"""bandwidth: limits the stream to `rate` KB/s (1 KB = 1000 bytes, as in toxics/bandwidth.go).

Each byte is scheduled on a virtual clock that is never more than LAG_SECONDS behind real time
(no credit for idle periods); chunks larger than 100 ms worth of data go out in 100 ms slices
like the real toxic. The real toxic paces the link's reads, of 32 KiB at most (io.Copy's buffer);
ours are larger (a whole pipe's worth), so they are paced in pieces of 32 KiB (or 1 ms of data,
if that is more) to let the bytes out as evenly as Go does.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from harness.network.toxiproxy.toxics.base import Toxic

if TYPE_CHECKING:
    from harness.network.toxiproxy.link import Stage

SLICE_SECONDS = 0.1
# How far the schedule may lag real time and still count: covers the event loop's wake-up delay
# between slices (Go's toxic likewise subtracts its timer error from the next sleep).
LAG_SECONDS = 0.02
GO_READ_SIZE = 32 * 1024
PIECE_SECONDS = 0.001


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
            piece_size = min(slice_size, max(GO_READ_SIZE, int(bytes_per_second * PIECE_SECONDS)))
            while chunk is not None:
                if len(chunk) > piece_size:
                    piece, rest = chunk.cut(0, piece_size), chunk.cut(piece_size)
                else:
                    piece, rest = chunk, None
                stage.pending = chunk
                now = loop.time()
                due = max(due, now - LAG_SECONDS) + len(piece) / bytes_per_second
                if due > now:  # a rate above what the stream does never waits
                    await asyncio.sleep(due - now)
                await stage.send(piece)  # send() clears `pending`
                chunk = rest
        stage.close()
