"""What a trial kills: the device process or the server process, with a real SIGKILL, and its restart
on the same store (device) or the same database (server)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from typing import Any, Protocol

from harness.core.errors import HarnessError

KILL_KINDS = ("client", "server")
REAP_TIMEOUT_S = 10.0


class KillTarget(Protocol):
    what: str  # "device" or "server", for the progress lines

    async def kill(self) -> int: ...  # returns the pid that got SIGKILL

    async def restart(self) -> None: ...


async def sigkill(process: subprocess.Popen[Any] | None, what: str) -> int:
    """``os.kill(pid, SIGKILL)``: no handler runs, nothing is flushed; then reap the process."""
    if process is None or process.poll() is not None:
        raise HarnessError(f"the {what} process is not running, so it cannot be killed")
    os.kill(process.pid, signal.SIGKILL)
    await asyncio.to_thread(process.wait, REAP_TIMEOUT_S)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()
    return process.pid


class DeviceTarget:
    """A ``harness.runner.reference_device.ProcessDevice``: restarted on the same store directory."""

    what = "device"

    def __init__(self, device: Any) -> None:
        self.device = device

    async def kill(self) -> int:
        pid = await sigkill(self.device.process, self.what)
        await self.device.kill()  # only closes its end of the control channel: the process is gone
        return pid

    async def restart(self) -> None:
        await self.device.start()  # a new process on the same --store


class ServerTarget:
    """A ``harness.runner.reference_backend.ReferenceBackend`` whose server is a child process."""

    what = "server"

    def __init__(self, backend: Any) -> None:
        if not getattr(backend, "can_be_killed", False):
            raise HarnessError("server kills need the reference server as a child process")
        self.backend = backend

    async def kill(self) -> int:
        return await sigkill(self.backend.server.process, self.what)

    async def restart(self) -> None:
        await self.backend.restart()  # same port (the proxy's upstream) and same database
