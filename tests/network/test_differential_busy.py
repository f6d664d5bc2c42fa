"""Differential test: a toxic added to a busy stream holds back what the proxy has not yet sent.

The real server's link is a chain of goroutines and unbuffered channels (link.go), so once a toxic
is in place only what already sits in kernel buffers on the way to the client still reaches it
unaffected, plus the chunk or two its writer held. The embedded server's fast path keeps up to
1 MiB in a kernel pipe of its own: those bytes must go through the new toxic too.

The measurement, the same on both servers: a flood through a proxy without toxics; the client stops
reading until the stream stalls; the kernel's queues towards the client are read from
/proc/net/tcp; a `timeout` toxic (which swallows everything) is added and then removed (which
closes the connection, toxics/timeout.go); every byte the client still gets was let through.
"""

from __future__ import annotations

import contextlib
import fcntl
import select
import socket
import struct
import termios
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from differential_helpers import DEVIATIONS, WAIT, Upstream, on_both, proxied, read_until_closed

pytestmark = pytest.mark.real_toxiproxy

BLOCK = 64 * 1024
STREAMED_FIRST = 64 * 1024 * 1024  # the client reads this much before it stops: the stream is busy
STALL_SECONDS = 0.5  # the upstream could not send for this long: every buffer on the way is full
ANSWER_WAIT = 2.0  # seconds an API call on a stalled stream may take before the client reads
CLIENT_RCVBUF = 256 * 1024
CHUNK_SLACK = 64 * 1024  # one read's worth (ours reads 64 KiB, Go 32 KiB)
SWALLOW = {"type": "timeout", "name": "swallow", "attributes": {"timeout": 0}}


class Flood:
    """An upstream sending zeros as fast as the proxy takes them; `stalled` is set once it cannot."""

    def __init__(self) -> None:
        self.stalled = threading.Event()
        self.upstream = Upstream(self._serve)

    def _serve(self, conn: socket.socket) -> None:
        conn.setblocking(False)
        block = bytes(BLOCK)
        while True:
            try:
                conn.send(block)
            except BlockingIOError:
                if not select.select([], [conn], [], STALL_SECONDS)[1]:
                    self.stalled.set()
                    select.select([], [conn], [])  # until the stream moves again or closes


@dataclass(frozen=True)
class LetThrough:
    queued: int  # bytes in the kernel between proxy and client when the toxic was added
    received: int  # bytes the client got after that
    answered_at_once: bool  # the API answered without the client reading (DEVIATIONS["stalled_api"])

    @property
    def excess(self) -> int:
        """What the proxy let past the new toxic beyond the kernel's queues."""
        return self.received - self.queued


def _client(port: int) -> socket.socket:
    """A client whose receive buffer is fixed, so its window stays shut once full (no autotuning)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, CLIENT_RCVBUF)
    sock.settimeout(WAIT)
    sock.connect(("127.0.0.1", port))
    return sock


def _tx_queue(local_port: int, remote_port: int) -> int:
    """Send queue (unsent + unacknowledged bytes) of the TCP socket local_port -> remote_port."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for row in Path(table).read_text().splitlines()[1:]:
                fields = row.split()
                local, remote, queues = fields[1], fields[2], fields[4]
                if int(local.rsplit(":", 1)[1], 16) == local_port and int(remote.rsplit(":", 1)[1], 16) == remote_port:
                    return int(queues.split(":")[0], 16)
    raise AssertionError(f"no socket {local_port} -> {remote_port} in /proc/net/tcp")


def _unread(sock: socket.socket) -> int:
    return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0" * 4))[0]


def _read_while(sock: socket.socket, pending: threading.Thread) -> int | None:
    """Read while `pending` runs; bytes received, None if it ended without the client reading.

    The real server answers only once its link moved on (the noop toxic at the head of the chain
    cannot be interrupted while it hands a chunk on: toxics/noop.go), so the client must read to
    get the answer. Reading before the toxic is in place would let more through, so the client
    reads only when the answer did not come within ANSWER_WAIT.
    """
    pending.join(ANSWER_WAIT)
    if not pending.is_alive():
        return None
    received = 0
    while pending.is_alive():
        if select.select([sock], [], [], 0.05)[0]:
            received += len(sock.recv(1 << 20))
    return received


def let_through_after_adding_a_toxic(client: httpx.Client) -> LetThrough:
    flood = Flood()
    try:
        with proxied(client, "busy", flood.upstream, []) as port, _client(port) as sock:
            streamed = 0
            while streamed < STREAMED_FIRST:
                streamed += len(sock.recv(1 << 20))
            assert flood.stalled.wait(30), "the stream never stalled"
            queued = _tx_queue(port, sock.getsockname()[1]) + _unread(sock)
            added: list[httpx.Response] = []
            adding = threading.Thread(target=lambda: added.append(client.post("/proxies/busy/toxics", json=SWALLOW)))
            adding.start()
            received = _read_while(sock, adding)
            adding.join()
            assert added[0].status_code == 200, added[0].text
            assert client.delete("/proxies/busy/toxics/swallow").status_code == 204
            data, end = read_until_closed(sock)
            assert end == "eof"
            return LetThrough(queued, (received or 0) + len(data), received is None)
    finally:
        flood.upstream.close()


def test_toxic_added_to_a_busy_stream_lets_through_only_what_the_kernel_holds(
    servers: dict[str, httpx.Client],
) -> None:
    real, ours = on_both(servers, let_through_after_adding_a_toxic)
    assert real.received > 0 and ours.received > 0, (real, ours)  # the kernel's queues did drain
    assert ours.excess <= max(real.excess, 0) + CHUNK_SLACK, (real, ours)


def test_deviation_a_toxic_added_to_a_stalled_stream_is_answered_at_once_only_in_ours(
    servers: dict[str, httpx.Client],
) -> None:
    assert "stalled_api" in DEVIATIONS
    real, ours = on_both(servers, let_through_after_adding_a_toxic)
    assert ours.answered_at_once
    assert not real.answered_at_once, "the real server now answers at once: drop DEVIATIONS['stalled_api']"
