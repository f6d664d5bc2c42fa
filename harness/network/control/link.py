"""A link: one Toxiproxy proxy, and the conditions a scenario puts on it, in the QA engineer's words.

    link = await net.proxy("api", upstream="127.0.0.1:8000")
    async with link.offline():            # connections refused, open ones dropped
        ...
    async with link.latency(1000, jitter=100):
        ...
    cut = link.cut_after(4096, stream="upstream")   # or apply()/remove() from a timeline
    await cut.apply(); ...; await cut.remove()
"""

from __future__ import annotations

import difflib
import inspect
from typing import Any

from harness.network.control.client import ToxiproxyClient
from harness.network.control.conditions import (
    BOTH,
    Condition,
    Group,
    ProxyEnabled,
    Toxics,
    ToxicSpec,
    check_non_negative,
    streams_of,
)
from harness.network.control.flapping import Flapping
from harness.network.control.profiles import NetworkProfile, get_profile

# The names a scenario (Python or YAML) uses for each condition.
CONDITION_NAMES = (
    "offline", "online", "latency", "bandwidth", "cut_after", "blackhole",
    "connection_reset", "slow_close", "flapping", "profile",
)


class Link:
    """One proxy on a Toxiproxy server: clients connect to ``host:port``, it forwards to ``upstream``."""

    def __init__(self, client: ToxiproxyClient, proxy: dict[str, Any]) -> None:
        self.client = client
        self.name: str = proxy["name"]
        self._update(proxy)

    def _update(self, proxy: dict[str, Any]) -> None:
        self.upstream: str = proxy["upstream"]
        self.listen: str = proxy["listen"]
        self.enabled: bool = bool(proxy["enabled"])
        host, _, port = self.listen.rpartition(":")
        host = host.strip("[]")
        self.host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
        self.port = int(port)

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def refresh(self) -> None:
        self._update(await self.client.get_proxy(self.name))

    async def set_enabled(self, enabled: bool) -> None:
        self._update(await self.client.update_proxy(self.name, enabled=enabled))

    async def delete(self) -> None:
        await self.client.delete_proxy(self.name)

    # conditions
    def offline(self) -> Condition:
        """The device has no network: new connections are refused and open ones dropped."""
        return ProxyEnabled(self, enabled=False)

    def online(self) -> Condition:
        """The network is back (undone: offline again)."""
        return ProxyEnabled(self, enabled=True)

    def latency(self, ms: int, jitter: int = 0, stream: str = "downstream") -> Toxics:
        """Each chunk is delayed ``ms`` ± ``jitter`` milliseconds."""
        check_non_negative("latency (ms)", ms)
        check_non_negative("jitter (ms)", jitter)
        return self._toxics(f"latency {ms} ms ± {jitter} ms", "latency", stream,
                            {"latency": int(ms), "jitter": int(jitter)})

    def bandwidth(self, kb_per_s: int, stream: str = "downstream") -> Toxics:
        """At most ``kb_per_s`` kilobytes (1000 bytes) per second."""
        check_non_negative("bandwidth (KB/s)", kb_per_s)
        return self._toxics(f"bandwidth {kb_per_s} KB/s", "bandwidth", stream, {"rate": int(kb_per_s)})

    def cut_after(self, nbytes: int, stream: str = "downstream") -> Toxics:
        """The connection is closed once ``nbytes`` bytes have gone through in ``stream``."""
        check_non_negative("cut after (bytes)", nbytes)
        return self._toxics(f"cut after {nbytes} bytes", "limit_data", stream, {"bytes": int(nbytes)})

    def blackhole(self, stream: str = BOTH) -> Toxics:
        """Connections stay open but no data gets through, until the condition is removed."""
        return self._toxics("blackhole", "timeout", stream, {"timeout": 0})

    def connection_reset(self, after_ms: int = 0, stream: str = "downstream") -> Toxics:
        """Connections are reset (TCP RST, "connection reset by peer") after ``after_ms``."""
        check_non_negative("reset after (ms)", after_ms)
        return self._toxics(f"connection reset after {after_ms} ms", "reset_peer", stream,
                            {"timeout": int(after_ms)})

    def slow_close(self, delay_ms: int, stream: str = "downstream") -> Toxics:
        """A closing connection lingers ``delay_ms`` before the close goes through."""
        check_non_negative("slow close delay (ms)", delay_ms)
        return self._toxics(f"slow close {delay_ms} ms", "slow_close", stream, {"delay": int(delay_ms)})

    def flapping(self, up: float, down: float, seed: int | None = None) -> Flapping:
        """Online ``up`` seconds, offline ``down`` seconds, repeatedly (see ``Flapping``)."""
        return Flapping(self, up, down, seed=seed)

    def profile(self, profile: str | NetworkProfile, seed: int | None = None) -> Group:
        """A named network (``"EDGE"``, ``"3G"``, ``"rural LTE"``, ``"tunnel"``, ...) as one condition."""
        chosen = get_profile(profile) if isinstance(profile, str) else profile
        half_rtt, half_jitter = chosen.rtt_ms // 2, chosen.jitter_ms // 2
        parts: list[Condition] = [
            Toxics(self, "latency", [
                ToxicSpec("latency", stream, {"latency": half_rtt, "jitter": half_jitter})
                for stream in streams_of(BOTH)
            ]),
            Toxics(self, "bandwidth", [
                ToxicSpec("bandwidth", "downstream", {"rate": chosen.down_kb_per_s}),
                ToxicSpec("bandwidth", "upstream", {"rate": chosen.up_kb_per_s}),
            ]),
        ]
        if chosen.flapping is not None:
            parts.append(Flapping(self, *chosen.flapping, seed=seed))
        return Group(self, f"profile {chosen.name}", parts)

    def condition(self, name: str, **params: Any) -> Condition:
        """A condition by its scenario name, e.g. ``link.condition("latency", ms=200)`` (for YAML)."""
        if name not in CONDITION_NAMES:
            close = [known for known in CONDITION_NAMES if name and name in known]
            close = close or difflib.get_close_matches(name, CONDITION_NAMES, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"unknown network condition {name!r}; known: {', '.join(CONDITION_NAMES)}.{hint}"
            )
        factory = getattr(self, name)
        try:
            inspect.signature(factory).bind(**params)
        except TypeError as exc:
            accepted = ", ".join(inspect.signature(factory).parameters) or "no parameters"
            raise ValueError(f"network condition {name!r}: {exc}; it takes: {accepted}") from None
        return factory(**params)

    def _toxics(self, description: str, type_: str, stream: str, attributes: dict[str, Any]) -> Toxics:
        specs = [ToxicSpec(type_, one, attributes) for one in streams_of(stream)]
        return Toxics(self, description, specs)

    def __repr__(self) -> str:
        return f"<Link {self.name} {self.listen} -> {self.upstream}>"
