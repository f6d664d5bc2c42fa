"""Toxic changes on many busy connections: the API is not held up by the links' traffic."""

from __future__ import annotations

import asyncio

from embedded_helpers import WAIT, connect, create_proxy, echo, embedded, round_trip, upstream

CONNECTIONS = 20


async def test_adding_a_toxic_to_links_without_toxics_takes_no_turn_of_the_event_loop() -> None:
    """Each turn of the loop moves every busy connection's bytes: an add that waits for one is
    slow under load (issue 16: 100-190 ms with 50 busy connections)."""
    async with embedded() as (server, api), upstream(echo) as port:
        proxy_port = await create_proxy(api, "many", port)
        connections = [await connect(proxy_port) for _ in range(CONNECTIONS)]
        for reader, writer in connections:
            await round_trip(reader, writer, b"up")  # every connection and its links exist
        toxics = server.api.collection.get("many").toxics
        assert len(toxics.links) == 2 * CONNECTIONS
        turned = asyncio.Event()
        asyncio.get_running_loop().call_soon(turned.set)
        await toxics.add_json(b'{"type": "latency", "name": "lag", "stream": "upstream", "attributes": {"latency": 1}}')
        assert not turned.is_set()  # done within this turn
        assert all(len(link.stages) == 1 for link in toxics.links if link.direction == "upstream")
        for reader, writer in connections:
            assert await asyncio.wait_for(round_trip(reader, writer, b"after"), WAIT) > 0
            writer.close()
