"""Helpers for the embedded Toxiproxy tests: upstream servers on 127.0.0.1 and an API client."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from harness.network.toxiproxy.server import EmbeddedToxiproxy

WAIT = 10.0  # upper bound of any single wait in these tests (seconds)

StreamHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


def source(payload: bytes) -> StreamHandler:
    """Sends payload to each client, then waits for the client to go away."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            writer.write(payload)
            await writer.drain()
            await reader.read()
        writer.close()

    return serve


@contextlib.asynccontextmanager
async def upstream(handler: StreamHandler) -> AsyncIterator[int]:
    tasks: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks[task] = writer
        try:
            await handler(reader, writer)
        except ConnectionError:
            writer.close()
        finally:
            tasks.pop(task, None)

    server = await asyncio.start_server(tracked, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for writer in list(tasks.values()):
            writer.transport.abort()  # the handlers then see the connection end and return
        if tasks:
            await asyncio.wait(list(tasks), timeout=WAIT)


@contextlib.asynccontextmanager
async def embedded(seed: int | None = None) -> AsyncIterator[tuple[EmbeddedToxiproxy, httpx.AsyncClient]]:
    async with EmbeddedToxiproxy(host="127.0.0.1", port=0, seed=seed) as tp:
        async with httpx.AsyncClient(base_url=tp.url, timeout=WAIT) as client:
            yield tp, client


async def create_proxy(client: httpx.AsyncClient, name: str, upstream_port: int, **extra: Any) -> int:
    response = await client.post(
        "/proxies", json={"name": name, "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{upstream_port}", **extra}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["listen"].rsplit(":", 1)[1])


async def add_toxic(
    client: httpx.AsyncClient,
    proxy: str,
    type_: str,
    stream: str = "downstream",
    toxicity: float = 1.0,
    name: str | None = None,
    **attributes: Any,
) -> dict[str, Any]:
    body = {"type": type_, "stream": stream, "toxicity": toxicity, "attributes": attributes}
    if name:
        body["name"] = name
    response = await client.post(f"/proxies/{proxy}/toxics", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), WAIT)


async def round_trip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes) -> float:
    """Seconds for data to go through an echo upstream and back."""
    start = time.perf_counter()
    writer.write(data)
    await writer.drain()
    await asyncio.wait_for(reader.readexactly(len(data)), WAIT)
    return time.perf_counter() - start


async def read_all(reader: asyncio.StreamReader) -> bytes:
    """Everything until the proxy closes the connection (bounded by WAIT)."""
    return await asyncio.wait_for(reader.read(), WAIT)
