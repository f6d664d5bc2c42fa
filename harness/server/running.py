"""Run the reference server: in this process (a uvicorn thread) or as a child process (SIGKILL-able)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from uvicorn.server import ServerState

from harness.server.app import DEFAULT_ADMIN_TOKEN, DEFAULT_UPLOAD_TTL, create_app
from harness.server.read_timeouts import ReadTimeouts, SlowClientGuard

READY_LINE = re.compile(r"listening on (http://\S+)")


def bind(host: str, port: int) -> socket.socket:
    # proto IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted connections (else Nagle + delayed ACK: 40 ms)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_server(app: Any, log_level: str, guard: SlowClientGuard | None = None) -> uvicorn.Server:
    """uvicorn on its h11 protocol, with the read timeouts of ``guard`` (defaults: read_timeouts.py)."""
    # uvicorn builds each connection's protocol as http(config=..., server_state=..., app_state=...):
    # the guard's factory serves as a class does, though Config's type names a class only.
    factory = (guard or SlowClientGuard()).protocol
    config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="on", timeout_graceful_shutdown=2,
                            http=factory)  # type: ignore[arg-type]
    return uvicorn.Server(config)


def serve_forever(host: str, port: int, db: str, admin_token: str | None, log_level: str = "warning",
                  read_timeouts: ReadTimeouts | None = None, cors_origins: tuple[str, ...] = ()) -> None:
    """The `serve` command: bind, print the URL (port 0 picks a free one), serve until signalled."""
    sock = bind(host, port)
    app = create_app(db, admin_token or DEFAULT_ADMIN_TOKEN, cors_origins=cors_origins)
    print(f"offline-harness serve: listening on {url_of(sock)} (db {Path(db).resolve()})", flush=True)
    make_server(app, log_level, SlowClientGuard(read_timeouts)).run(sockets=[sock])


def wait_healthy(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"reference server at {url} not healthy after {timeout} s")
        time.sleep(0.02)


class InProcessServer:
    """The server on a free port in a background thread of this process (fast; cannot be SIGKILLed)."""

    def __init__(self, db: str | Path, admin_token: str = DEFAULT_ADMIN_TOKEN, host: str = "127.0.0.1",
                 upload_ttl: float | None = None, log_level: str = "warning",
                 read_timeouts: ReadTimeouts | None = None):
        self.admin_token = admin_token
        self.app = create_app(db, admin_token, upload_ttl=upload_ttl or DEFAULT_UPLOAD_TTL)
        self._sock = bind(host, 0)
        self.url = url_of(self._sock)
        self.slow_clients = SlowClientGuard(read_timeouts)  # .dropped counts the clients cut for slowness
        self._server = make_server(self.app, log_level, self.slow_clients)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True,
                                        name=f"reference-server {self.url}")

    @property
    def server_state(self) -> ServerState:
        """uvicorn's live connections and request tasks: what a test waits on instead of sleeping."""
        return self._server.server_state

    def start(self, timeout: float = 10.0) -> InProcessServer:
        self._thread.start()
        wait_healthy(self.url, timeout)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
        self._sock.close()

    def __enter__(self) -> InProcessServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ServerProcess:
    """The server as a child process (`python -m harness serve`), so a test can SIGKILL it."""

    def __init__(self, db: str | Path, admin_token: str = DEFAULT_ADMIN_TOKEN, host: str = "127.0.0.1",
                 port: int = 0):
        self.db = str(db)
        self.admin_token = admin_token
        self.host = host
        self.port = port
        self.url = ""
        self.process: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 20.0) -> ServerProcess:
        command = [sys.executable, "-m", "harness", "serve", "--host", self.host, "--port", str(self.port),
                   "--db", self.db, "--admin-token", self.admin_token]
        package_root = str(Path(__file__).resolve().parents[2])  # so `-m harness` works from any directory
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
        self.url = self._read_url(timeout)
        self.port = int(self.url.rsplit(":", 1)[1])  # a restart reuses the port
        wait_healthy(self.url, timeout)
        return self

    def _read_url(self, timeout: float) -> str:
        assert self.process is not None and self.process.stdout is not None
        found: list[str] = []

        def read() -> None:
            line = self.process.stdout.readline()  # type: ignore[union-attr]
            match = READY_LINE.search(line)
            if match:
                found.append(match.group(1))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        if not found:
            self.kill()
            raise TimeoutError(f"`offline-harness serve` printed no URL within {timeout} s")
        return found[0]

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; what was acknowledged must survive."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
