"""bandwidth: limits the stream to `rate` KB/s (1 KB = 1000 bytes, as in toxics/bandwidth.go).

Go's rule: each chunk adds its time at the rate to what the toxic owes (`sleep`); the toxic waits
that long and takes off what it actually waited, so a timer that fires late is made up by the next
chunks and an idle stream earns nothing. Here what is owed is waited for once it reaches 1 ms (Go's
timers are about that precise, its comment says): a rate above what the stream does costs no wait
per chunk. Chunks larger than 100 ms worth of data go out in 100 ms slices like the real toxic.
The real toxic paces the link's reads, of 32 KiB at most (io.Copy's buffer); ours are larger (a
whole pipe's worth), so they are paced in pieces of 32 KiB (or 1 ms of data, if that is more) to
let the bytes out as evenly as Go does.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from harness.network.toxiproxy.toxics.base import Toxic

if TYPE_CHECKING:
    from harness.network.toxiproxy.link import Stage

SLICE_SECONDS = 0.1
MIN_WAIT_SECONDS = 0.001
GO_READ_SIZE = 32 * 1024
PIECE_SECONDS = 0.001


class BandwidthToxic(Toxic):
    type_name = "bandwidth"
    struct_name = "BandwidthToxic"
    fields = {"rate": "int64"}

    async def pipe(self, stage: Stage) -> None:
        loop = asyncio.get_running_loop()
        owed = 0.0  # Go's `sleep`: seconds still to wait; below 0, what late timers gave back
        while (chunk := await stage.recv()) is not None:
            if self.rate <= 0:
                owed = 0.0
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
                owed += len(piece) / bytes_per_second
                if owed >= MIN_WAIT_SECONDS:
                    start = loop.time()
                    await asyncio.sleep(owed)
                    owed -= loop.time() - start
                await stage.send(piece)  # send() clears `pending`
                chunk = rest
        stage.close()
