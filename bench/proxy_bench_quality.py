"""The toxic quality bars of the proxy benchmark, and the time a toxic change takes on busy links.

* latency toxic: request/response round trips through a 50 ms toxic, p50 and p99 error in ms. It
  stays Python-driven: iperf3 measures throughput (and UDP jitter), not a TCP round trip.
* bandwidth toxic: an iperf3 download through a 1000 KB/s toxic, error of the received rate in %.
* toxic change: the API time of adding, then removing, a toxic on the busy direction of 50 iperf3
  streams going through the proxy.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time

from proxy_bench_iperf import Traffic, run_iperf3, start_iperf3
from proxy_bench_servers import HOST, Api

LATENCY_MS = 50
RATE_KB = 1000
BUSY_CONNECTIONS = 50
SETTLE_SECONDS = 2.0  # after starting the 50 streams: iperf3 opens them all before it sends


class EchoServer:
    """A loopback TCP echo server in threads (the upstream of the latency measurement)."""

    def __init__(self) -> None:
        self.sock = socket.create_server((HOST, 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with conn:
            try:
                while data := conn.recv(65536):
                    conn.sendall(data)
            except OSError:
                pass

    def close(self) -> None:
        self.sock.close()


def latency_error(api: Api, trips: int) -> tuple[float, float]:
    """(p50, p99) of round trip minus the toxic's latency, in ms, over `trips` 100-byte round trips."""
    echo = EchoServer()
    try:
        port = api.proxy("quality_latency", echo.port, [{"type": "latency", "attributes": {"latency": LATENCY_MS}}])
        errors = []
        with socket.create_connection((HOST, port), timeout=10) as client:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for _ in range(trips):
                start = time.perf_counter()
                client.sendall(b"ping" * 25)
                got = 0
                while got < 100:
                    data = client.recv(65536)
                    if not data:
                        raise RuntimeError("the latency proxy closed the connection")
                    got += len(data)
                errors.append((time.perf_counter() - start) * 1000 - LATENCY_MS)
        api.call("DELETE", "/proxies/quality_latency")
    finally:
        echo.close()
    errors.sort()
    return statistics.median(errors), errors[max(0, int(len(errors) * 0.99) - 1)]


def bandwidth_error(api: Api, iperf_port: int, seconds: int) -> float:
    """Error in % of an iperf3 download's received rate through a RATE_KB KB/s bandwidth toxic."""
    toxic = {"type": "bandwidth", "stream": "downstream", "attributes": {"rate": RATE_KB}}
    port = api.proxy("quality_bandwidth", iperf_port, [toxic])
    try:
        measured_kb = run_iperf3(port, Traffic(1, reverse=True, seconds=seconds, omit=1)) * 1000
    finally:
        api.call("DELETE", "/proxies/quality_bandwidth")
    return (measured_kb - RATE_KB) / RATE_KB * 100


def toxic_change_times(api: Api, iperf_port: int, repeats: int) -> tuple[float, float]:
    """Median seconds to add and to remove a toxic on the busy direction of 50 live iperf3 streams."""
    port = api.proxy("churn", iperf_port)
    # Long enough for slow API answers; the test is cut short once timed (its iperf3 server is its own).
    traffic = Traffic(BUSY_CONNECTIONS, reverse=False, seconds=int(SETTLE_SECONDS) + repeats * 5 + 5)
    load = start_iperf3(port, traffic)
    added, removed = [], []
    try:
        time.sleep(SETTLE_SECONDS)
        toxic = {"name": "churn_latency", "type": "latency", "stream": "upstream", "attributes": {"latency": 0}}
        for _ in range(repeats):
            added.append(api.timed("POST", "/proxies/churn/toxics", toxic))
            time.sleep(0.5)
            removed.append(api.timed("DELETE", "/proxies/churn/toxics/churn_latency"))
            time.sleep(0.5)
        if load.poll() is not None:
            error = load.stderr.read() if load.stderr else ""
            raise RuntimeError(f"the 50 iperf3 streams ended before the toxic changes were timed: {error}")
    finally:
        if load.poll() is None:
            load.terminate()
            load.wait(10)
        api.call("DELETE", "/proxies/churn")
    return statistics.median(added), statistics.median(removed)
