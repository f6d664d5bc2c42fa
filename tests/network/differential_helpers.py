"""Helpers for the differential tests: the real `toxiproxy-server` and the embedded server side by
side, upstream servers in threads, and blocking socket measurements taken the same way on both."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx

from harness.network.toxiproxy.server import EmbeddedToxiproxy

DEVIATIONS = {
    "version": "GET /version: ours reports 2.12.0, the release it follows; the real binary reports its "
    "build's -ldflags version ('git' when built without them).",
    "seed": "-seed/--seed: ours makes every random draw (jitter, toxicity, slicer sizes) reproducible; "
    "the real server ignores it (Shopify/toxiproxy#274).",
    "listen_error": "a listen address that cannot be opened: the real server answers 500 with Go's "
    "message; ours the same message with 409 (address in use) or 400 (not an address), because bad "
    "API input never gets a 5xx (docs/PROTOCOL.md).",
    "toxicity_zero": "toxicity 0 never affects traffic in ours; the real server still arms SO_LINGER 0 "
    "for reset_peer, so connections end with RST (Shopify/toxiproxy#603).",
    "live_reset_peer": "a reset_peer added to an open connection resets it in ours; the real server arms "
    "SO_LINGER 0 only when a link starts (ToxicLink.Start in link.go), so it closes with a FIN.",
    "stalled_api": "adding a toxic to a stalled stream: ours answers at once; the real server answers only "
    "once the stream moves (its head noop toxic cannot be interrupted while it hands a chunk on, "
    "toxics/noop.go), and after 25 s with a 503.",
}

TIMING_TOLERANCE = 0.05  # seconds: how far the two servers' measured delays may differ
ATTEMPTS = 3  # runs of a timing measurement at most (see on_both_until_they_agree)
WAIT = 10.0


# Servers ---------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def real_server(binary: str, *args: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [binary, "-host", "127.0.0.1", "-port", str(port), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT
        while True:
            try:
                httpx.get(f"{url}/version", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "toxiproxy-server did not start"
                time.sleep(0.05)
        yield url
    finally:
        process.kill()
        process.wait(WAIT)


@contextlib.contextmanager
def embedded_server(seed: int | None = None) -> Iterator[str]:
    server = EmbeddedToxiproxy(host="127.0.0.1", port=0, seed=seed).start()
    try:
        yield server.url
    finally:
        server.stop()


@contextlib.contextmanager
def both_servers(real_binary: str) -> Iterator[dict[str, httpx.Client]]:
    """API clients of a real and an embedded server, keyed "real" and "embedded"."""
    with real_server(real_binary) as real_url, embedded_server() as ours_url:
        with (
            httpx.Client(base_url=real_url, timeout=WAIT) as real,
            httpx.Client(base_url=ours_url, timeout=WAIT) as ours,
        ):
            yield {"real": real, "embedded": ours}


def on_both(servers: dict[str, httpx.Client], measure: Callable[[httpx.Client], Any]) -> tuple[Any, Any]:
    return measure(servers["real"]), measure(servers["embedded"])


T = TypeVar("T")


def on_both_until_they_agree(
    servers: dict[str, httpx.Client],
    measure: Callable[[httpx.Client], T],
    agree: Callable[[T, T], bool],
    fastest: Callable[[T, T], T],
) -> tuple[T, T]:
    """Measure on both; while the timings disagree, measure again (ATTEMPTS in all), keeping each
    server's fastest run. Load on the machine only ever adds delay, so the fastest of a few runs
    is the server's own figure; a real difference shows in every run."""
    real, ours = on_both(servers, measure)
    for _ in range(ATTEMPTS - 1):
        if agree(real, ours):
            break
        real_again, ours_again = on_both(servers, measure)
        real, ours = fastest(real, real_again), fastest(ours, ours_again)
    return real, ours


# Traffic ---------------------------------------------------------------------------------------------
class Upstream:
    """A loopback TCP server running serve(conn) per connection in a thread."""

    def __init__(self, serve: Callable[[socket.socket], None]) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.serve = serve
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.sock.accept()
                threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            self.serve(conn)

    def close(self) -> None:
        self.sock.close()


def echo(conn: socket.socket) -> None:
    while data := conn.recv(65536):
        conn.sendall(data)


def send_then_wait(payload: bytes) -> Callable[[socket.socket], None]:
    def serve(conn: socket.socket) -> None:
        conn.sendall(payload)
        conn.recv(1)

    return serve


@contextlib.contextmanager
def proxied(client: httpx.Client, name: str, upstream: Upstream, toxics: list[dict[str, Any]]) -> Iterator[int]:
    created = client.post("/proxies", json={"name": name, "listen": "127.0.0.1:0", "upstream": upstream.address})
    assert created.status_code == 201, created.text
    for toxic in toxics:
        assert client.post(f"/proxies/{name}/toxics", json=toxic).status_code == 200
    try:
        yield int(created.json()["listen"].rsplit(":", 1)[1])
    finally:
        client.delete(f"/proxies/{name}")


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def round_trip(sock: socket.socket, data: bytes = b"ping") -> float:
    start = time.perf_counter()
    sock.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = sock.recv(65536)
        assert chunk, "connection closed during a round trip"
        got += chunk
    return time.perf_counter() - start


def read_until_closed(sock: socket.socket) -> tuple[bytes, str]:
    """(bytes received, how it ended: 'eof' or 'reset')."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        return data, "reset"
    return data, "eof"
