"""Flapping: a background task that takes a link offline and online again until the block ends."""

from __future__ import annotations

import asyncio
import random
import time
from typing import TYPE_CHECKING

from harness.network.control.conditions import Condition, check_non_negative

if TYPE_CHECKING:
    from harness.network.control.link import Link


class Flapping(Condition):
    """Online for ``up`` seconds, offline for ``down`` seconds, over and over.

    With a ``seed`` each period is drawn from [0.5, 1.5] x its nominal length by a
    ``random.Random(seed)``, so the same seed gives the same rhythm; without one the periods are exact.
    ``transitions`` records ``(monotonic time, "offline" | "online")`` for each switch.
    When the condition is removed the task stops and the link is left online.
    """

    def __init__(self, link: Link, up: float, down: float, *, seed: int | None = None) -> None:
        super().__init__(link)
        check_non_negative("flapping up period (seconds)", up)
        check_non_negative("flapping down period (seconds)", down)
        if up == 0 or down == 0:
            raise ValueError("flapping needs up and down periods > 0 seconds")
        self.up = float(up)
        self.down = float(down)
        self.seed = seed
        self.description = f"flapping (up {up:g} s, down {down:g} s)"
        self.transitions: list[tuple[float, str]] = []
        self._random = random.Random(seed) if seed is not None else None
        self._task: asyncio.Task[None] | None = None

    def _period(self, nominal: float) -> float:
        if self._random is None:
            return nominal
        return self._random.uniform(0.5 * nominal, 1.5 * nominal)

    async def _apply(self) -> None:
        await self.link.set_enabled(True)  # every rhythm starts with an online period
        self._task = asyncio.create_task(self._run(), name=f"flapping-{self.link.name}")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._period(self.up))
            await self.link.set_enabled(False)
            self.transitions.append((time.monotonic(), "offline"))
            await asyncio.sleep(self._period(self.down))
            await self.link.set_enabled(True)
            self.transitions.append((time.monotonic(), "online"))

    async def _remove(self) -> None:
        task, self._task = self._task, None
        failure: BaseException | None = None
        if task is not None:
            if task.done() and not task.cancelled():
                failure = task.exception()  # e.g. the server went away mid-block
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:
                pass  # already taken as ``failure`` above
        await self.link.set_enabled(True)
        if failure is not None:
            raise failure
