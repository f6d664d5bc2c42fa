"""Differential test of stacked toxics: two toxics on one stream act together as on the real server.

Each case streams a payload through the real `toxiproxy-server` and through the embedded server
with the same chain of toxics, and compares what the client got, how the connection ended, when
the first byte came and when the connection closed. Toxics of one kind stack (two latencies add
up, as Go's latency toxic moves each chunk's timestamp on: toxics/latency.go), and each kind
stacks behind the latency toxic.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from differential_helpers import TIMING_TOLERANCE, Upstream, connect, on_both, on_both_until_they_agree, proxied

pytestmark = pytest.mark.real_toxiproxy

PAYLOAD = bytes(range(256)) * 8  # 2 KiB


def toxic(type_: str, name: str, stream: str = "downstream", **attributes: Any) -> dict[str, Any]:
    return {"type": type_, "name": name, "stream": stream, "attributes": attributes}


LATENCY = toxic("latency", "lat0", latency=100)


@dataclass(frozen=True)
class Flow:
    """What crosses the proxy: the upstream's download, or the client's upload (the upstream reads),
    sent as `pieces` equal pieces `interval` seconds apart."""

    upload: bool = False
    size: int = len(PAYLOAD)
    pieces: int = 1
    interval: float = 0.0

    def payload(self) -> bytes:
        return (PAYLOAD * (self.size // len(PAYLOAD) + 1))[: self.size]

    def send(self, sock: socket.socket) -> None:
        data, piece = self.payload(), self.size // self.pieces
        for offset in range(0, self.size, piece):
            if offset:
                time.sleep(self.interval)  # the traffic's own rhythm, not a wait for the proxy
            sock.sendall(data[offset : offset + piece])


@dataclass(frozen=True)
class Outcome:
    data: bytes
    end: str  # "eof" or "reset"
    arrivals: tuple[float, ...]  # seconds from connecting until each piece had fully arrived
    closed: float  # seconds from connecting until the connection ended


STACKS: dict[str, tuple[list[dict[str, Any]], Flow]] = {
    "latency+latency": ([LATENCY, toxic("latency", "lat1", latency=100)], Flow()),
    # Pieces that queue in the first toxic reach the second one early (latency.go's timestamp rule).
    "latency+latency, a burst": (
        [toxic("latency", "lat0", latency=300), toxic("latency", "lat1", latency=300)],
        Flow(pieces=4, interval=0.1),
    ),
    "bandwidth+bandwidth": (
        [toxic("bandwidth", "bw0", rate=100), toxic("bandwidth", "bw1", rate=50)],
        Flow(size=20_000),
    ),
    "slicer+slicer": (
        [
            toxic("slicer", "sl0", average_size=512, delay=20_000),
            toxic("slicer", "sl1", average_size=128, delay=10_000),
        ],
        Flow(),
    ),
    "limit_data+limit_data": ([toxic("limit_data", "ld0", bytes=700), toxic("limit_data", "ld1", bytes=300)], Flow()),
    "slow_close+slow_close": ([toxic("slow_close", "sc0", delay=100), toxic("slow_close", "sc1", delay=150)], Flow()),
    "timeout+timeout": (
        [toxic("timeout", "to0", "upstream", timeout=200), toxic("timeout", "to1", "upstream", timeout=100)],
        Flow(upload=True),
    ),
    "reset_peer+reset_peer": (
        [toxic("reset_peer", "rp0", "upstream", timeout=100), toxic("reset_peer", "rp1", "upstream", timeout=100)],
        Flow(upload=True),
    ),
    "latency+bandwidth": ([LATENCY, toxic("bandwidth", "bw", rate=50)], Flow(size=10_000)),
    "bandwidth+latency": ([toxic("bandwidth", "bw", rate=50), LATENCY], Flow(size=10_000)),
    "latency+slicer": ([LATENCY, toxic("slicer", "sl", average_size=256, delay=10_000)], Flow()),
    "slicer+latency": ([toxic("slicer", "sl", average_size=256, delay=30_000), LATENCY], Flow()),
    "latency+limit_data": ([LATENCY, toxic("limit_data", "ld", bytes=1000)], Flow()),
    "limit_data+latency": ([toxic("limit_data", "ld", bytes=1000), LATENCY], Flow()),
    "latency+slow_close": ([LATENCY, toxic("slow_close", "sc", delay=150)], Flow()),
    "latency+timeout": (
        [toxic("latency", "lat", "upstream", latency=100), toxic("timeout", "to", "upstream", timeout=150)],
        Flow(upload=True),
    ),
    "latency+reset_peer": (
        [toxic("latency", "lat", "upstream", latency=100), toxic("reset_peer", "rp", "upstream", timeout=50)],
        Flow(upload=True),
    ),
    "latency+noop": ([LATENCY, toxic("noop", "nop")], Flow()),
}


def _serve(flow: Flow) -> Upstream:
    def upload(conn: socket.socket) -> None:
        while conn.recv(65536):
            pass  # until the proxy closes its side

    return Upstream(upload if flow.upload else flow.send)


def _stream(port: int, flow: Flow) -> Outcome:
    piece = flow.size // flow.pieces
    start = time.perf_counter()
    arrivals: list[float] = []
    data, end = b"", "eof"
    with connect(port) as sock:
        if flow.upload:
            flow.send(sock)
        try:
            while chunk := sock.recv(65536):
                data += chunk
                now = time.perf_counter() - start
                arrivals += [now] * (len(data) // piece - len(arrivals))
        except ConnectionResetError:
            end = "reset"
    return Outcome(data, end, tuple(arrivals), time.perf_counter() - start)


def _close_enough(real: float, ours: float) -> bool:
    return abs(real - ours) < TIMING_TOLERANCE + 0.1 * max(real, ours)


def _timings_agree(real: Outcome, ours: Outcome) -> bool:
    return all(map(_close_enough, real.arrivals, ours.arrivals)) and _close_enough(real.closed, ours.closed)


def _fastest(one: Outcome, other: Outcome) -> Outcome:
    assert (other.data, other.end, len(other.arrivals)) == (one.data, one.end, len(one.arrivals)), (one, other)
    return Outcome(one.data, one.end, tuple(map(min, one.arrivals, other.arrivals)), min(one.closed, other.closed))


@pytest.mark.parametrize("case", list(STACKS))
def test_stacked_toxics_act_together_as_on_the_real_server(servers: dict[str, httpx.Client], case: str) -> None:
    toxics, flow = STACKS[case]
    upstream = _serve(flow)

    def measure(client: httpx.Client) -> Outcome:
        with proxied(client, "stack", upstream, toxics) as port:
            return _stream(port, flow)

    real, ours = on_both_until_they_agree(servers, measure, _timings_agree, _fastest)
    upstream.close()
    assert (ours.data, ours.end) == (real.data, real.end), (real, ours)
    assert len(ours.arrivals) == len(real.arrivals), (real, ours)
    assert _timings_agree(real, ours), (real, ours)


def test_two_latency_toxics_add_up(servers: dict[str, httpx.Client]) -> None:
    """The issue's figures: 2 x 100 ms gave 102 ms here, 203 ms on the real server."""
    toxics, flow = STACKS["latency+latency"]
    upstream = _serve(flow)

    def measure(client: httpx.Client) -> float:
        with proxied(client, "stack", upstream, toxics) as port:
            return _stream(port, flow).arrivals[0]

    real, ours = on_both(servers, measure)
    upstream.close()
    assert real >= 0.2 and ours >= 0.2, (real, ours)
