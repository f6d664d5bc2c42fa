"""The processes the proxy benchmark drives: the real `toxiproxy-server`, the embedded server, an
iperf3 server, and the CPU hog of `--busy`; plus a small Toxiproxy API client.

Everything listens on 127.0.0.1 only, and every process is ended when its context exits.
"""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[1]
START_SECONDS = 15


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def require(binary: str, how: str) -> str:
    path = shutil.which(binary)
    if path is None:
        print(f"bench_embedded_proxy: {binary} is not on PATH: {how}", file=sys.stderr)
        raise SystemExit(2)
    return path


class Api:
    """A Toxiproxy API client on one keep-alive HTTP connection (reopened if the server drops it)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection(HOST, port, timeout=30)

    def call(self, method: str, path: str, body: object | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"User-Agent": "bench", "Content-Type": "application/json"}
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                raw = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.connection.close()
                if attempt == 2:
                    raise
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {raw[:200]!r}")
        return json.loads(raw) if raw else None

    def timed(self, method: str, path: str, body: object | None = None) -> float:
        """Seconds the call took, from sending the request to reading the whole answer."""
        start = time.perf_counter()
        self.call(method, path, body)
        return time.perf_counter() - start

    def proxy(self, name: str, upstream_port: int, toxics: list[dict[str, Any]] = ()) -> int:
        """Create a proxy (and its toxics) on a free port; returns the port it listens on."""
        body = {"name": name, "listen": f"{HOST}:0", "upstream": f"{HOST}:{upstream_port}"}
        created = self.call("POST", "/proxies", body)
        for toxic in toxics:
            self.call("POST", f"/proxies/{name}/toxics", toxic)
        return int(created["listen"].rsplit(":", 1)[1])

    def close(self) -> None:
        self.connection.close()


@contextmanager
def process(argv: list[str], ready: Any) -> Iterator[subprocess.Popen[bytes]]:
    """Run argv until the block ends; `ready()` is polled until it returns True (15 s at most)."""
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not ready():
            if time.monotonic() > deadline or child.poll() is not None:
                raise SystemExit(f"bench_embedded_proxy: did not start: {' '.join(argv)}")
            time.sleep(0.05)
        yield child
    finally:
        child.terminate()
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)


def _answers_version(port: int) -> bool:
    try:
        Api(port).call("GET", "/version")
        return True
    except (OSError, RuntimeError):
        return False


@contextmanager
def toxiproxy(kind: str) -> Iterator[Api]:
    """A Toxiproxy server of `kind` ("real" or "embedded") in its own process, and its API."""
    port = free_port()
    if kind == "real":
        binary = require("toxiproxy-server", "run `bash .ci/run` once (it builds v2.12.0) and put its folder on PATH")
        argv = [binary, "-host", HOST, "-port", str(port)]
    else:
        argv = [sys.executable, "-m", "harness", "toxiproxy", "--host", HOST, "--port", str(port)]
    with process(argv, lambda: _answers_version(port)):
        api = Api(port)
        try:
            yield api
        finally:
            api.close()


def _listens(port: int) -> bool:
    # A bare connect would be taken for a client by iperf3; the port being bound is enough.
    with socket.socket() as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
    return False


@contextmanager
def iperf3_server() -> Iterator[int]:
    """`iperf3 -s` on a free loopback port; it serves one test at a time, as the bench runs them."""
    binary = require("iperf3", "`apt-get install -y iperf3` (Debian package iperf3)")
    port = free_port()
    with process([binary, "-s", "-B", HOST, "-p", str(port), "--idle-timeout", "30"], lambda: _listens(port)):
        yield port


@contextmanager
def cpu_hog(enabled: bool) -> Iterator[None]:
    """With `enabled`, keep one core busy (a Python spin loop in its own process) for the block."""
    if not enabled:
        yield
        return
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        hog.kill()
        hog.wait(5)
