"""Kill targets: a real SIGKILL of the device or server process, and a restart on the same store / database."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import httpx

from harness.runner.reference_backend import ReferenceBackend
from harness.runner.reference_device import ProcessDevice
from harness.trials.targets import DeviceTarget, ServerTarget


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_killed_device_restarts_with_its_intent_log_and_outbox_from_the_store(tmp_path: Path) -> None:
    # no server at all: the notes stay queued, so only the durable store can bring them back
    device = ProcessDevice("tech", tmp_path / "device", f"http://127.0.0.1:{closed_port()}", "token", seed=1)
    await device.start()
    target = DeviceTarget(device)
    try:
        made = [await device.act("add_note", {"job_id": "j1", "text": f"note {n}"}) for n in range(3)]
        process = device.process
        pid = await target.kill()
        assert pid == process.pid and process.returncode == -signal.SIGKILL
        await target.restart()
        assert device.process.pid != pid
        history = await device.history()
        assert [i["item_id"] for i in history["intents"]] == [m["item_id"] for m in made]
        assert sorted(history["outbox"]) == sorted(m["item_id"] for m in made)
    finally:
        await device.close()


async def test_a_killed_server_restarts_on_the_same_port_and_database(tmp_path: Path) -> None:
    backend = await ReferenceBackend.child_process(tmp_path / "server.db")
    try:
        tenant = await backend.create_tenant("before the kill")
        target = ServerTarget(backend)
        process = backend.server.process
        url = backend.url
        await target.kill()
        assert process.returncode == -signal.SIGKILL
        async with httpx.AsyncClient() as http:
            try:
                await http.get(f"{url}/health", timeout=1.0)
                answered = True
            except httpx.TransportError:
                answered = False
        assert not answered
        await target.restart()
        assert backend.url == url and backend.server.process.pid != process.pid
        assert (await backend.ledger(tenant))["mutations"] == []  # the tenant made before the kill is still there
    finally:
        await backend.close()
