"""Choose and start the Toxiproxy server a scenario talks to.

Order for ``kind="auto"``: an explicit URL (argument or ``TOXIPROXY_URL``), then a
``toxiproxy-server`` binary on PATH (started on a free port, stopped afterwards), else the embedded
server. ``"docker"`` starts ``ghcr.io/shopify/toxiproxy`` through the Docker SDK.

    async with network_backend("auto") as net:
        link = await net.proxy("api", upstream="127.0.0.1:8000")
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import IO

from harness.core.errors import HarnessError
from harness.network.control.client import ToxiproxyClient, ToxiproxyError
from harness.network.control.link import Link

KINDS = ("auto", "embedded", "binary", "docker")
URL_ENV = "TOXIPROXY_URL"
BINARY_NAME = "toxiproxy-server"
DOCKER_IMAGE = "ghcr.io/shopify/toxiproxy:2.12.0"
START_TIMEOUT_S = 15.0


class BackendError(HarnessError, ValueError):
    """No usable Toxiproxy backend; the message names what to do about it."""


@dataclass
class Network:
    """A running Toxiproxy server: its API ``url``, a ``client`` for it, and the links made on it."""

    kind: str
    url: str
    client: ToxiproxyClient
    links: list[Link] = field(default_factory=list)

    async def proxy(self, name: str, upstream: str, *, listen: str = "127.0.0.1:0") -> Link:
        """A new proxy to ``upstream`` (``host:port``), listening on 127.0.0.1 (a free port by default)."""
        link = Link(self.client, await self.client.create_proxy(name, upstream, listen=listen))
        self.links.append(link)
        return link

    async def reset(self) -> None:
        """Every link back online with no toxic."""
        await self.client.reset()


@contextlib.asynccontextmanager
async def network_backend(
    kind: str = "auto", *, url: str | None = None, seed: int | None = None, host: str = "127.0.0.1"
) -> AsyncIterator[Network]:
    """A Toxiproxy backend for the duration of the block: ``kind`` is one of ``KINDS`` or a URL."""
    resolved, target = resolve_backend(kind, url)
    if resolved == "url":
        server = _existing_server(target)
    elif resolved == "binary":
        server = _binary_server(target, host, seed)
    elif resolved == "embedded":
        server = _embedded_server(host, seed)
    else:
        server = _docker_server(host)
    async with server as api_url:
        client = ToxiproxyClient(api_url)
        network = Network(resolved, api_url, client)
        try:
            yield network
        finally:
            if resolved == "url":  # a server we did not start: leave it as we found it
                for link in network.links:
                    with contextlib.suppress(ToxiproxyError):
                        await link.delete()
            await client.aclose()


def resolve_backend(kind: str, url: str | None = None) -> tuple[str, str]:
    """``(resolved kind, target)``; target: the URL for ``"url"``, the binary's path for ``"binary"``."""
    if kind.startswith(("http://", "https://")):
        return "url", kind
    if kind not in KINDS:
        raise BackendError(
            f"unknown network backend {kind!r}; use one of {', '.join(KINDS)} or a Toxiproxy API URL"
            " such as http://127.0.0.1:8474"
        )
    if kind == "auto":
        explicit = url or os.environ.get(URL_ENV)
        if explicit:
            return "url", explicit
        binary = shutil.which(BINARY_NAME)
        return ("binary", binary) if binary else ("embedded", "")
    if kind == "binary":
        binary = shutil.which(BINARY_NAME)
        if binary is None:
            raise BackendError(
                f"no {BINARY_NAME} on PATH; install it (`bash .ci/run` does, or `go install"
                " github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0` and name it toxiproxy-server)"
                " or choose the embedded backend"
            )
        return "binary", binary
    return kind, ""


async def wait_for_api(url: str, timeout: float, alive: Callable[[], bool] | None = None) -> None:
    """Poll ``GET /version`` until it answers; ``alive()`` False means the server died meanwhile."""
    deadline = time.monotonic() + timeout
    async with ToxiproxyClient(url, timeout=1.0) as client:
        while True:
            try:
                await client.version()
                return
            except ToxiproxyError as exc:
                last = exc
            if alive is not None and not alive():
                raise BackendError(f"the Toxiproxy server for {url} exited before answering")
            if time.monotonic() > deadline:
                cause = last.__cause__  # the connection error, when no HTTP answer came at all
                detail = f"{type(cause).__name__}: {cause}" if cause else str(last)
                raise BackendError(f"no Toxiproxy answered at {url} within {timeout:g} s ({detail})")
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def _existing_server(url: str) -> AsyncIterator[str]:
    url = url.rstrip("/")
    try:
        await wait_for_api(url, timeout=2.0)
    except BackendError as exc:
        raise BackendError(
            f"{exc}; start it (e.g. `docker compose up` or `offline-harness toxiproxy"
            f" --port 8474`) or unset {URL_ENV} to use the embedded server"
        ) from None
    yield url


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def _binary_server(binary: str, host: str, seed: int | None) -> AsyncIterator[str]:
    # Its log goes to a file: a pipe nobody reads would fill and stall the server.
    with tempfile.TemporaryFile() as log:
        process, url = await _start_binary(binary, host, seed, log)
        try:
            yield url
        finally:
            await _stop(process)


async def _start_binary(
    binary: str, host: str, seed: int | None, log: IO[bytes], attempts: int = 3
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the server on a free port; another process may take that port first, so retry."""
    for attempt in range(1, attempts + 1):
        started = await _start_binary_once(binary, host, seed, log, last=attempt == attempts)
        if started is not None:
            return started
    raise AssertionError("unreachable")


async def _start_binary_once(
    binary: str, host: str, seed: int | None, log: IO[bytes], *, last: bool
) -> tuple[subprocess.Popen[bytes], str] | None:
    """One start on a free port: None when another process took that port first (so: try again)."""
    port = free_port(host)
    command = [binary, "-host", host, "-port", str(port)]
    if seed is not None:
        command += ["-seed", str(seed)]  # no effect on the real server (Shopify/toxiproxy#274)
    log_start = log.seek(0, os.SEEK_END)
    process = subprocess.Popen(command, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    url = f"http://{host}:{port}"

    def port_taken() -> bool:
        # The real server logs a failed API listen but keeps running (cmd/server/server.go).
        return b"address already in use" in os.pread(log.fileno(), 1 << 16, log_start)

    try:
        await wait_for_api(url, START_TIMEOUT_S, alive=lambda: process.poll() is None and not port_taken())
    except BackendError as exc:
        await _stop(process)
        if last or not port_taken():
            tail = os.pread(log.fileno(), 1 << 16, log_start)[-400:].decode(errors="replace")
            raise BackendError(f"{exc}; {binary} said: {tail.strip() or '(nothing)'}") from None
        return None
    return process, url


async def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        await asyncio.to_thread(process.wait, 5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.asynccontextmanager
async def _embedded_server(host: str, seed: int | None) -> AsyncIterator[str]:
    from harness.network.toxiproxy.server import EmbeddedToxiproxy

    async with EmbeddedToxiproxy(host, port=0, seed=seed) as server:
        yield server.url


def docker_unavailable_reason() -> str | None:
    """Why the Docker backend cannot run here, or None when a Docker engine answers."""
    try:
        import docker
    except ImportError as exc:
        return f"the Docker SDK is not installed ({exc})"
    try:
        client = docker.from_env()
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # the SDK raises DockerException, requests' errors or OSError
        return f"no Docker engine answers ({exc.__class__.__name__}: {exc})"
    return None


@contextlib.asynccontextmanager
async def _docker_server(host: str) -> AsyncIterator[str]:
    reason = await asyncio.to_thread(docker_unavailable_reason)
    if reason is not None:
        raise BackendError(f"{reason}; start Docker, or choose the embedded or binary backend")
    import docker

    client = docker.from_env()
    port = free_port(host)
    # Host networking: proxies the server opens on 127.0.0.1:0 are then reachable from here,
    # and upstreams on 127.0.0.1 are reachable from the container.
    container = await asyncio.to_thread(
        client.containers.run, DOCKER_IMAGE, command=["-host", host, "-port", str(port)],
        network_mode="host", detach=True, remove=True,
    )
    try:
        await wait_for_api(f"http://{host}:{port}", START_TIMEOUT_S)
        yield f"http://{host}:{port}"
    finally:
        with contextlib.suppress(Exception):
            await asyncio.to_thread(container.stop, timeout=5)
        client.close()
