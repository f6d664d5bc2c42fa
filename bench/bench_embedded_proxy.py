"""Benchmark: the embedded Toxiproxy-compatible server against the real `toxiproxy-server`.

Side by side in one run, each server in its own process on 127.0.0.1:
  * throughput with no toxic (MB/s through one connection, client -> proxy -> sink),
  * latency toxic (50 ms downstream) over request/response round trips: p50/p99 error in ms,
  * bandwidth toxic (1000 KB/s downstream) over a 5 MB download: error in %.
Targets (BRIEF): throughput >= 1.0x the real server; latency within 2 ms at p50; bandwidth
within 5 %. Run: `python bench/bench_embedded_proxy.py [--mb 200] [--trips 200]`.
Exits 2 with a message if toxiproxy-server is not on PATH. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

HOST = "127.0.0.1"
BLOCK = 1 << 20
LATENCY_MS = 50
RATE_KB = 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def api(url: str, method: str, path: str, body: object | None = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url + path, data=data, method=method, headers={"User-Agent": "bench", "Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


@contextmanager
def server_process(argv: list[str], port: int) -> Iterator[str]:
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                api(url, "GET", "/version")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit(f"server did not start: {' '.join(argv)}") from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()


class Upstream:
    """A TCP server in a thread running `serve(conn)` for each connection."""

    def __init__(self, serve) -> None:
        self.sock = socket.create_server((HOST, 0))
        self.port = self.sock.getsockname()[1]
        self.serve = serve
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        with conn:
            try:
                self.serve(conn)
            except OSError:
                pass

    def close(self) -> None:
        self.sock.close()


def proxy(url: str, name: str, upstream_port: int) -> int:
    created = api(url, "POST", "/proxies", {"name": name, "listen": f"{HOST}:0", "upstream": f"{HOST}:{upstream_port}"})
    return int(created["listen"].rsplit(":", 1)[1])


def measure_throughput(url: str, megabytes: int) -> float:
    total = megabytes * BLOCK
    done = threading.Event()
    finished_at: list[float] = []

    def sink(conn: socket.socket) -> None:
        buffer = bytearray(BLOCK)
        received = 0
        while received < total:
            n = conn.recv_into(buffer)
            if not n:
                break
            received += n
        finished_at.append(time.perf_counter())
        done.set()

    upstream = Upstream(sink)
    port = proxy(url, "throughput", upstream.port)
    payload = b"x" * BLOCK
    with socket.create_connection((HOST, port)) as client:
        start = time.perf_counter()
        for _ in range(megabytes):
            client.sendall(payload)
        done.wait(120)
    upstream.close()
    api(url, "DELETE", "/proxies/throughput")
    return megabytes * BLOCK / 1e6 / (finished_at[0] - start)


def measure_latency(url: str, trips: int) -> tuple[float, float]:
    def echo(conn: socket.socket) -> None:
        while data := conn.recv(65536):
            conn.sendall(data)

    upstream = Upstream(echo)
    port = proxy(url, "latency", upstream.port)
    api(url, "POST", "/proxies/latency/toxics", {"type": "latency", "attributes": {"latency": LATENCY_MS}})
    errors = []
    with socket.create_connection((HOST, port)) as client:
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(trips):
            start = time.perf_counter()
            client.sendall(b"ping" * 25)
            got = 0
            while got < 100:
                got += len(client.recv(65536))
            errors.append((time.perf_counter() - start) * 1000 - LATENCY_MS)
    upstream.close()
    api(url, "DELETE", "/proxies/latency")
    errors.sort()
    return statistics.median(errors), errors[int(len(errors) * 0.99) - 1]


def measure_bandwidth(url: str, megabytes: int) -> float:
    total = megabytes * 1_000_000

    def source(conn: socket.socket) -> None:
        conn.sendall(b"y" * total)
        conn.recv(1)

    upstream = Upstream(source)
    port = proxy(url, "bandwidth", upstream.port)
    api(url, "POST", "/proxies/bandwidth/toxics", {"type": "bandwidth", "attributes": {"rate": RATE_KB}})
    with socket.create_connection((HOST, port)) as client:
        buffer = bytearray(BLOCK)
        received = 0
        start = time.perf_counter()
        while received < total:
            n = client.recv_into(buffer)
            if not n:
                break
            received += n
        elapsed = time.perf_counter() - start
    upstream.close()
    api(url, "DELETE", "/proxies/bandwidth")
    measured_kb = received / elapsed / 1000
    return (measured_kb - RATE_KB) / RATE_KB * 100


def run(url: str, args: argparse.Namespace) -> dict[str, float]:
    throughput = max(measure_throughput(url, args.mb) for _ in range(args.repeat))
    p50, p99 = measure_latency(url, args.trips)
    return {"throughput": throughput, "p50": p50, "p99": p99, "bandwidth": measure_bandwidth(url, args.bw_mb)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="MiB pushed through for throughput")
    parser.add_argument("--repeat", type=int, default=3, help="throughput runs per server (best kept)")
    parser.add_argument("--trips", type=int, default=200, help="round trips for the latency toxic")
    parser.add_argument("--bw-mb", type=int, default=5, help="MB downloaded through the bandwidth toxic")
    args = parser.parse_args()
    real_bin = shutil.which("toxiproxy-server")
    if real_bin is None:
        print(
            "bench_embedded_proxy: toxiproxy-server is not on PATH: run `bash .ci/run` once, or "
            "`go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0` and put it on PATH "
            "as toxiproxy-server",
            file=sys.stderr,
        )
        return 2
    results = {}
    port = free_port()
    with server_process([real_bin, "-host", HOST, "-port", str(port)], port) as url:
        results["real"] = run(url, args)
    port = free_port()
    with server_process(
        [sys.executable, "-m", "harness", "toxiproxy", "--host", HOST, "--port", str(port)], port
    ) as url:
        results["embedded"] = run(url, args)
    real, ours = results["real"], results["embedded"]

    def row(label: str, key: str, digits: int, ratio: str = "", target: str = "") -> None:
        print(f"{label:<34}{real[key]:>12.{digits}f}{ours[key]:>12.{digits}f}{ratio:>10}   {target}")

    print(f"{'measure':<34}{'real':>12}{'embedded':>12}{'ratio':>10}   target")
    ratio = f"{ours['throughput'] / real['throughput']:.2f}"
    row("throughput, no toxic (MB/s)", "throughput", 0, ratio, "ratio >= 1.0")
    row(f"latency {LATENCY_MS} ms: p50 error (ms)", "p50", 2, target="|err| <= 2 ms")
    row(f"latency {LATENCY_MS} ms: p99 error (ms)", "p99", 2)
    row(f"bandwidth {RATE_KB} KB/s: error (%)", "bandwidth", 2, target="|err| <= 5 %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
