"""The reference server (harness/server) as a ``BackendAdapter``: in this process, or as a child
process when a scenario kills and restarts the server."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import time
import uuid
from pathlib import Path
from typing import Any, Mapping

import httpx

from harness.core.errors import HarnessError
from harness.runner import processes
from harness.runner.adapters import BackendEvent, FaultHolding, Observed, UploadReached, User

ADMIN_TOKEN = "runner-admin-token"
LONG_POLL_S = 10.0  # the most harness/server/events.py waits per request


def start_shared_server(db: str | Path) -> Any:
    """The server in a thread of this process, started now and owned by the caller (``stop()``),
    for several event loops at once (the pytest plugin's scenarios and fixtures)."""
    from harness.server.running import InProcessServer

    return InProcessServer(db, ADMIN_TOKEN).start()


class ReferenceBackend:
    """Talks to a running reference server; ``server`` (if given) is stopped by ``close``."""

    def __init__(self, url: str, admin_token: str = ADMIN_TOKEN, server: Any = None) -> None:
        self.url = url
        self.admin_token = admin_token
        self.server = server
        self.can_be_killed = hasattr(server, "kill")
        self._http = httpx.AsyncClient(base_url=url, timeout=15.0)
        self._starting: concurrent.futures.Future[Any] | None = None  # the server process's last start

    @classmethod
    async def in_process(cls, db: str | Path) -> ReferenceBackend:
        """The server in a thread of this process: fast, shared by every scenario of a run."""
        from harness.server.running import InProcessServer

        server = InProcessServer(db, ADMIN_TOKEN)
        await asyncio.to_thread(server.start)
        return cls(server.url, ADMIN_TOKEN, server)

    @classmethod
    async def child_process(cls, db: str | Path) -> ReferenceBackend:
        """The server as its own process (``offline-harness serve``), so a scenario can SIGKILL it."""
        from harness.server.running import ServerProcess

        backend = cls("", ADMIN_TOKEN, ServerProcess(db, ADMIN_TOKEN))  # its URL is known once it started
        try:
            await backend._start_server()
        except BaseException:  # a start that failed or was cancelled may still have spawned the process
            await backend.close()
            raise
        return backend

    async def _call(self, token: str, method: str, path: str, body: Mapping[str, Any] | None = None,
                    *, key: bool = False, params: Mapping[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        try:
            response = await self._http.request(method, path, json=body, headers=headers, params=params)
        except httpx.HTTPError as exc:
            raise HarnessError(f"the backend at {self.url} did not answer {method} {path} ({exc!r})") from None
        if response.status_code >= 400:
            raise HarnessError(f"the backend refused {method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    async def create_tenant(self, name: str) -> str:
        return str((await self._call(self.admin_token, "POST", "/admin/tenants", {"name": name}))["tenant_id"])

    async def create_user(self, tenant_id: str, role: str, name: str) -> User:
        answer = await self._call(self.admin_token, "POST", f"/admin/tenants/{tenant_id}/users",
                                  {"role": role, "name": name})
        return User(answer["user_id"], answer["token"])

    async def office(self, token: str, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        return await self._call(token, method, path, body, key=method.upper() == "POST")

    async def set_bugs(self, tenant_id: str, names: list[str]) -> None:
        if names:
            await self._call(self.admin_token, "PUT", f"/admin/tenants/{tenant_id}/bugs", {n: True for n in names})

    async def add_fault(self, tenant_id: str, fault: Mapping[str, Any]) -> None:
        await self._call(self.admin_token, "POST", f"/admin/tenants/{tenant_id}/faults", fault)

    async def ledger(self, tenant_id: str) -> dict[str, Any]:
        return dict(await self._call(self.admin_token, "GET", f"/admin/tenants/{tenant_id}/ledger"))

    async def wait_for(self, tenant_id: str, event: BackendEvent, timeout: float) -> Observed:
        """Long-polls the server's wait route (harness/server/events.py) until the event or ``timeout``."""
        if isinstance(event, FaultHolding):
            query: dict[str, Any] = {"until": "fault_holding"}
        elif isinstance(event, UploadReached):
            query = {"until": "upload_offset", "item_id": event.item_id, "bytes": event.offset}
        else:
            raise HarnessError(f"the reference backend cannot wait for {event!r}")
        give_up = time.monotonic() + timeout
        while True:
            left = give_up - time.monotonic()
            answer = await self._call(self.admin_token, "GET", f"/admin/tenants/{tenant_id}/wait",
                                      params={**query, "timeout_s": f"{min(max(left, 0.001), LONG_POLL_S):.3f}"})
            if answer["reached"] or left <= LONG_POLL_S:
                return Observed(bool(answer["reached"]), dict(answer["observed"]))

    async def kill(self) -> None:
        if not self.can_be_killed:
            raise HarnessError("this backend runs in the harness's own process and cannot be killed")
        await processes.finish(functools.partial(processes.kill, self.server.process))
        await self._reconnect()

    async def restart(self) -> None:
        if not self.can_be_killed:
            raise HarnessError("this backend cannot be restarted")
        if self.server.process is not None and self.server.process.poll() is None:
            # a second server could not bind the port, and the first one would be left behind
            raise HarnessError("restart: the server is still running; restart it only after `kill: server`")
        await self._start_server()  # ServerProcess reuses its port and database

    async def _start_server(self) -> None:
        self._starting = processes.in_thread(self.server.start, "server")
        try:
            await asyncio.wrap_future(self._starting)
        except OSError as exc:  # TimeoutError too: it printed no URL, or never got healthy
            raise HarnessError(f"the server process did not start: {exc}") from None
        self.url = self.server.url
        await self._reconnect()

    def _stop_server(self) -> None:
        """Blocking and idempotent. A start still running in its thread is waited for first: the
        process it spawns would have no owner otherwise."""
        if self._starting is not None:
            concurrent.futures.wait([self._starting])
        if self.can_be_killed:
            processes.stop(self.server.process)
        else:
            self.server.stop()

    async def _reconnect(self) -> None:
        await self._http.aclose()  # drop pooled connections to the dead process
        self._http = httpx.AsyncClient(base_url=self.url, timeout=15.0)

    async def close(self) -> None:
        try:
            await self._http.aclose()
        finally:
            if self.server is not None:
                await processes.finish(self._stop_server)
