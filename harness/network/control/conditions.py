"""Network conditions on one proxy: each one ``apply()``/``remove()``, or ``async with`` a block.

Modelled on toxiproxy-ruby's ``Toxiproxy[:db].downstream(:latency, latency: 1000).apply { }``:
a condition undoes itself when its block ends, however the block ends.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.network.control.client import STREAMS, ToxiproxyError

if TYPE_CHECKING:
    from harness.network.control.link import Link

BOTH = "both"
_toxic_numbers = itertools.count(1)


def check_non_negative(what: str, value: float) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{what} must be a number >= 0, not {value!r}")


def streams_of(stream: str) -> tuple[str, ...]:
    """``"both"`` means one toxic per direction."""
    if stream == BOTH:
        return STREAMS
    if stream in STREAMS:
        return (stream,)
    raise ValueError(f"stream must be 'upstream', 'downstream' or 'both', not {stream!r}")


class Condition:
    """A change to one link's network that can be applied and removed again."""

    description = "condition"

    def __init__(self, link: Link) -> None:
        self.link = link
        self.applied = False

    async def apply(self) -> None:
        if self.applied:
            return
        await self._apply()
        self.applied = True

    async def remove(self) -> None:
        if not self.applied:
            return
        self.applied = False
        await self._remove()

    async def _apply(self) -> None:
        raise NotImplementedError

    async def _remove(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Condition:
        await self.apply()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.remove()

    def __repr__(self) -> str:
        return f"<{self.description} on {self.link.name}>"


class ProxyEnabled(Condition):
    """``offline`` (the proxy is disabled: connections refused, open ones dropped) or ``online``."""

    def __init__(self, link: Link, enabled: bool) -> None:
        super().__init__(link)
        self.enabled = enabled
        self.description = "online" if enabled else "offline"

    async def _apply(self) -> None:
        await self.link.set_enabled(self.enabled)

    async def _remove(self) -> None:
        await self.link.set_enabled(not self.enabled)


@dataclass(frozen=True)
class ToxicSpec:
    """One Toxiproxy toxic: its type, direction and attributes."""

    type: str
    stream: str
    attributes: dict[str, Any] = field(default_factory=dict)
    toxicity: float = 1.0


class Toxics(Condition):
    """One or more toxics added together and removed together."""

    def __init__(self, link: Link, description: str, specs: list[ToxicSpec]) -> None:
        super().__init__(link)
        self.description = description
        self.specs = specs
        self.names: list[str] = []

    async def _apply(self) -> None:
        try:
            for spec in self.specs:
                name = f"{spec.type}_{spec.stream}_{next(_toxic_numbers)}"
                await self.link.client.add_toxic(
                    self.link.name, spec.type, name=name, stream=spec.stream,
                    toxicity=spec.toxicity, attributes=dict(spec.attributes),
                )
                self.names.append(name)
        except BaseException:
            await self._remove()
            raise

    async def _remove(self) -> None:
        names, self.names = self.names, []
        for name in reversed(names):
            try:
                await self.link.client.remove_toxic(self.link.name, name)
            except ToxiproxyError as exc:
                if exc.status != 404:  # already gone (a /reset, or the proxy was deleted)
                    raise

    async def update(self, **attributes: Any) -> None:
        """Change the toxics' attributes while applied, e.g. ``await slow.update(latency=2000)``."""
        if not self.applied:
            raise RuntimeError(f"{self.description}: apply the condition before updating it")
        for name in self.names:
            await self.link.client.update_toxic(self.link.name, name, attributes=attributes)


class Group(Condition):
    """Several conditions applied in order and removed in reverse order."""

    def __init__(self, link: Link, description: str, parts: list[Condition]) -> None:
        super().__init__(link)
        self.description = description
        self.parts = parts

    async def _apply(self) -> None:
        done: list[Condition] = []
        try:
            for part in self.parts:
                await part.apply()
                done.append(part)
        except BaseException:
            for part in reversed(done):
                await part.remove()
            raise

    async def _remove(self) -> None:
        errors: list[BaseException] = []
        for part in reversed(self.parts):
            try:
                await part.remove()
            except Exception as exc:  # remove every part even if one fails
                errors.append(exc)
        if errors:
            raise errors[0]
