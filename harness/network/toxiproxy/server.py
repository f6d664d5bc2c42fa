"""Start and stop the embedded Toxiproxy-compatible server, in an event loop or a thread."""

from __future__ import annotations

import asyncio
import random
import threading
from pathlib import Path
from typing import Any

from harness.network.toxiproxy.api import ToxiproxyApi

STOP_TIMEOUT_SECONDS = 10


class EmbeddedToxiproxy:
    """The embedded server: ``async with`` it, or ``start()``/``stop()`` it from sync code.

    Async callers::

        async with EmbeddedToxiproxy(host="127.0.0.1", port=0, seed=None) as tp:
            ...                                  # tp.url == "http://127.0.0.1:<port>"

    Sync callers (the server runs its own event loop in a daemon thread)::

        tp = EmbeddedToxiproxy(seed=7).start()  # returns once the API is listening
        try:
            ...                                  # tp.url, tp.host, tp.port
        finally:
            tp.stop()                            # drops every proxy and connection

        with EmbeddedToxiproxy() as tp:          # the same, as a context manager
            ...

    ``port=0`` picks a free port. ``seed`` makes every random draw (latency jitter, toxicity, slicer
    sizes) reproducible; ``None`` draws a fresh seed. ``config`` is a JSON file of proxies to create
    at start, as for ``toxiproxy-server -config``.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, seed: int | None = None, config: str | Path | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.seed = seed if seed is not None else random.SystemRandom().randrange(2**63)
        self.config = Path(config) if config is not None else None
        self.api = ToxiproxyApi(self.seed)
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # In an event loop -------------------------------------------------------------------------------
    async def open(self) -> None:
        """Listen for the API (raises OSError if the port is taken) and load the config file."""
        self._server = await asyncio.start_server(self.api.handle_connection, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        if self.config is not None:
            _, error = await self.api.collection.populate(self.config.read_bytes())
            if error is not None:
                await self.close()
                raise ValueError(f"{self.config}: {error.message}")

    async def close(self) -> None:
        await self.api.collection.clear()
        if self._server is not None:
            self._server.close()
            self._server = None
        self.api.close_clients()
        await asyncio.sleep(0)  # let the API handlers see their connection close

    async def __aenter__(self) -> EmbeddedToxiproxy:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    async def serve_forever(self) -> None:
        await self.open()
        try:
            await asyncio.Event().wait()
        finally:
            await self.close()

    # In a thread ------------------------------------------------------------------------------------
    def start(self) -> EmbeddedToxiproxy:
        """Run the server in a background thread; returns once it listens (re-raises its error)."""
        started = threading.Event()
        failure: list[BaseException] = []

        async def run() -> None:
            self._loop = asyncio.get_running_loop()
            self._stopped = asyncio.Event()
            try:
                await self.open()
            except BaseException as exc:  # handed to the caller of start()
                failure.append(exc)
                started.set()
                return
            started.set()
            try:
                await self._stopped.wait()
            finally:
                await self.close()

        self._thread = threading.Thread(target=asyncio.run, args=(run(),), name="embedded-toxiproxy", daemon=True)
        self._thread.start()
        started.wait()
        if failure:
            self._thread.join()
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None or self._stopped is None:
            return
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(STOP_TIMEOUT_SECONDS)
        self._thread = None

    def __enter__(self) -> EmbeddedToxiproxy:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
