"""Connections that end while the API changes their toxics leave no stage of the chain running."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import socket
import struct

import httpx
import pytest
from embedded_helpers import WAIT, add_toxic, connect, create_proxy, echo, embedded, round_trip, upstream

from harness.network.toxiproxy.link import Stage

ROUNDS = 60
CONNECTIONS = 8


LINK_TASKS = ("Stage._run",)  # a link's reader and sink are callbacks, its toxics tasks


def _link_tasks() -> list[asyncio.Task[object]]:
    """Tasks still running a toxic or a link's writer."""
    return [
        task
        for task in asyncio.all_tasks()
        if not task.done() and getattr(task.get_coro(), "__qualname__", "") in LINK_TASKS
    ]


def _open_pipes() -> int:
    """Kernel pipes this process has open (each link has one where os.splice exists)."""
    count = 0
    for fd in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []:
        with contextlib.suppress(OSError):  # the listing's own descriptor is gone already
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:")
    return count


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST, the way a phone that loses its network ends a connection."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _churn_round(api: httpx.AsyncClient, port: int, index: int) -> None:
    """Connections end, or their proxy goes, a little later each round after a toxic is added."""
    name = f"churn{index}"
    proxy_port = await create_proxy(api, name, port)
    await add_toxic(api, name, "latency", latency=1, name="lag")  # every link has a stage to interrupt
    connections = [await connect(proxy_port) for _ in range(CONNECTIONS)]
    for _, writer in connections:
        writer.write(b"x" * 4096)
    body = {"type": "slicer", "name": "cut", "attributes": {"average_size": 64}}
    adding = asyncio.ensure_future(api.post(f"/proxies/{name}/toxics", json=body))
    for _ in range(index // 2):  # sweeps the moment of the drop across the splice
        await asyncio.sleep(0)
    if index % 2:  # the connections end with RST
        for _, writer in connections:
            _reset(writer)
        assert (await adding).status_code == 200
        assert (await api.delete(f"/proxies/{name}")).status_code == 204
    else:  # the proxy goes away with its connections
        removed = await api.delete(f"/proxies/{name}")
        assert removed.status_code == 204 and (await adding).status_code in (200, 404)
        for _, writer in connections:
            writer.close()


async def test_churning_connections_and_toxics_leaves_no_stage_running(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="asyncio")
    async with upstream(echo) as port:
        async with embedded() as (_, api):
            pipes = _open_pipes()
            for index in range(ROUNDS):
                await asyncio.wait_for(_churn_round(api, port, index), WAIT)
            assert (await api.get("/proxies")).json() == {}
            assert _open_pipes() == pipes  # every link closed its kernel pipe
        await asyncio.sleep(0)  # cancelled stages finish on the next turn of the loop
        assert _link_tasks() == []
    gc.collect()  # a pending task nobody references is reported when it is collected
    assert "Task was destroyed but it is pending" not in caplog.text


CHANGES = {
    "add": lambda toxics: toxics.add_json(b'{"type": "slicer", "name": "cut"}'),
    "update": lambda toxics: toxics.update_json("lag", b'{"attributes": {"latency": 2}}'),
    "remove": lambda toxics: toxics.remove("lag2"),
}


@pytest.mark.parametrize(("change", "nth_interrupt"), [("add", 1), ("update", 1), ("remove", 1), ("remove", 2)])
async def test_connection_dropped_while_its_chain_is_spliced_keeps_no_stage(
    monkeypatch: pytest.MonkeyPatch, change: str, nth_interrupt: int
) -> None:
    """The drop lands while the change waits for a stage to stop (the nth Stage.interrupt)."""
    interrupts: list[asyncio.Event] = [asyncio.Event() for _ in range(nth_interrupt)]
    original = Stage.interrupt

    async def interrupt(stage: Stage) -> bool:
        waiting = [event for event in interrupts if not event.is_set()]
        if waiting:
            waiting[0].set()
        return await original(stage)

    async with upstream(echo) as port, embedded() as (server, api):
        proxy_port = await create_proxy(api, "splice", port)
        await add_toxic(api, "splice", "latency", latency=1, name="lag")
        await add_toxic(api, "splice", "latency", latency=1, name="lag2")  # "remove" interrupts its neighbour
        reader, writer = await connect(proxy_port)
        await round_trip(reader, writer, b"up")  # the connection and its links exist
        proxy = server.api.collection.get("splice")
        (connection,) = proxy.connections
        monkeypatch.setattr(Stage, "interrupt", interrupt)
        changing = asyncio.ensure_future(CHANGES[change](proxy.toxics))
        await asyncio.wait_for(interrupts[-1].wait(), WAIT)
        connection.drop()
        await asyncio.wait_for(changing, WAIT)
        await asyncio.sleep(0)  # cancelled stages finish on the next turn of the loop
        assert _link_tasks() == []
        writer.close()
