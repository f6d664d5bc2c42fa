"""slicer: cuts each chunk into pieces of about `average_size` (+/- `size_variation`) bytes,
waiting `delay` microseconds between pieces; split points as in toxics/slicer.go."""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

from harness.network.toxiproxy.toxics.base import Toxic

if TYPE_CHECKING:
    from harness.network.toxiproxy.link import Stage


class SlicerToxic(Toxic):
    type_name = "slicer"
    struct_name = "SlicerToxic"
    fields = {"average_size": "int", "size_variation": "int", "delay": "int"}

    def cut_points(self, start: int, end: int, rng: random.Random) -> list[int]:
        """Offsets [a0, b0, a1, b1, ...] of the pieces, split recursively near the middle."""
        if (end - start) - self.average_size <= self.size_variation:
            return [start, end]
        mid = start + (end - start) // 2
        if self.size_variation > 0:
            mid += rng.randrange(self.size_variation * 2) - self.size_variation
        return self.cut_points(start, mid, rng) + self.cut_points(mid, end, rng)

    async def pipe(self, stage: Stage) -> None:
        while (chunk := await stage.recv()) is not None:
            points = self.cut_points(0, len(chunk), stage.rng)
            for i in range(1, len(points), 2):
                stage.pending = chunk.cut(points[i - 1])
                await stage.send(chunk.cut(points[i - 1], points[i]))
                if points[i] < len(chunk):
                    stage.pending = chunk.cut(points[i])
                await asyncio.sleep(self.delay / 1_000_000)
        stage.close()
