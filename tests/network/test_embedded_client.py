"""The card's client, toxiproxy-python, drives the embedded server and the traffic behaves."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest
import toxiproxy
from toxiproxy.api import APIConsumer

from harness.network.toxiproxy.server import EmbeddedToxiproxy

WAIT = 10.0
# A latency longer than any wait here: a round trip that completes proves it did not apply.
FOREVER_MS = int(WAIT * 1000) * 6


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture
def echo_port() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def client() -> Iterator[toxiproxy.Toxiproxy]:
    """toxiproxy-python keeps host and port in class attributes: point them at our server."""
    saved = APIConsumer.host, APIConsumer.port
    tp = EmbeddedToxiproxy(host="127.0.0.1", port=0).start()
    APIConsumer.host, APIConsumer.port = "127.0.0.1", tp.port
    try:
        yield toxiproxy.Toxiproxy()
    finally:
        APIConsumer.host, APIConsumer.port = saved
        tp.stop()


def round_trip(port: int, timeout: float = WAIT) -> float:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        start = time.perf_counter()
        sock.sendall(b"ping")
        assert sock.recv(4) == b"ping"
        return time.perf_counter() - start


def test_toxiproxy_python_creates_proxies_and_toxics_that_shape_traffic(
    client: toxiproxy.Toxiproxy, echo_port: int
) -> None:
    assert client.running() and b"version" in client.version()
    proxy = client.create(upstream=f"127.0.0.1:{echo_port}", name="svc")
    port = int(proxy.listen.rsplit(":", 1)[1])
    round_trip(port)

    proxy.add_toxic(type="latency", attributes={"latency": 300})
    assert set(proxy.toxics()) == {"latency_downstream"}
    assert round_trip(port) >= 0.27

    proxy.destroy_toxic("latency_downstream")
    assert proxy.toxics() == {}
    proxy.add_toxic(type="latency", name="stuck", attributes={"latency": FOREVER_MS})
    with pytest.raises(TimeoutError):  # held (under load a late echo could only make this pass)
        round_trip(port, timeout=0.3)
    proxy.destroy_toxic("stuck")
    round_trip(port)  # completes within WAIT: the toxic is gone


def test_toxiproxy_python_down_block_refuses_connections_then_restores(
    client: toxiproxy.Toxiproxy, echo_port: int
) -> None:
    proxy = client.create(upstream=f"127.0.0.1:{echo_port}", name="svc")
    port = int(proxy.listen.rsplit(":", 1)[1])
    with proxy.down():
        with pytest.raises(OSError):
            round_trip(port)
    assert round_trip(port) >= 0


def test_toxiproxy_python_sees_server_errors_as_its_exceptions(client: toxiproxy.Toxiproxy, echo_port: int) -> None:
    proxy = client.create(upstream=f"127.0.0.1:{echo_port}", name="svc")
    with pytest.raises(toxiproxy.exceptions.InvalidToxic):
        proxy.add_toxic(type="no_such_toxic")
    with pytest.raises(toxiproxy.exceptions.ProxyExists):
        client.create(upstream=f"127.0.0.1:{echo_port}", name="svc")
    client.destroy_all()
    assert client.proxies() == {}
