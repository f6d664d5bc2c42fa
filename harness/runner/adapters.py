"""The two interfaces through which the runner reaches the app under test: its device and its backend.

The reference client (harness/client) and server (harness/server) are the first implementations
(``reference_device.py``, ``reference_backend.py``); a team plugs its own app in by implementing
these two protocols.
Everything is async so one event loop can drive many scenarios at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


class DeviceRefused(Exception):
    """The device refused an action on the spot (e.g. a card payment offline); ``offline`` says why."""

    def __init__(self, message: str, *, offline: bool) -> None:
        super().__init__(message)
        self.offline = offline


@runtime_checkable
class DeviceAdapter(Protocol):
    """One technician's device.

    ``act`` takes the scenario's action names (schema.json ``do``) with server-side ids already
    resolved, e.g. ``act("add_note", {"job_id": "job_9f", "text": "Valve replaced"})``; media
    actions get the bytes under ``"data"``. It returns what the app showed (a dict) and raises
    ``DeviceRefused`` when the app refused the action.
    """

    name: str
    can_be_killed: bool

    async def start(self) -> None: ...

    async def act(self, action: str, args: Mapping[str, Any]) -> dict[str, Any]: ...

    async def sync_state(self) -> str | None: ...

    async def queued(self) -> int: ...

    async def wait_until(self, condition: str, timeout: float) -> bool:
        """``synced`` (outbox empty and indicator idle) or an indicator state; False on timeout."""
        ...

    async def history(self) -> dict[str, Any]:
        """The intent log, attempts and indicator changes in harness/checker/model.py's format."""
        ...

    async def inject_fault(self, fault: str) -> None:
        """A fault of the device's surroundings, not of the app (schema.json ``device_fault``):
        ``corrupt_next_upload_chunk`` flips one byte in the body of the next upload chunk it sends,
        leaving the checksum it computed from the file as it was."""
        ...

    async def kill(self) -> None: ...

    async def restart(self) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class User:
    user_id: str
    token: str


# Events a scenario waits for on the backend side (schema.json ``wait: {until: ...}``), named after
# what happens on the wire, not after how a backend implements it: the reference server observes
# them itself; an HTTP stage in front of any backend can observe the same from the traffic.
@dataclass(frozen=True)
class FaultHolding:
    """A ``delay`` fault is holding an answer now (on a mutation route or the batch: after its commit)."""


@dataclass(frozen=True)
class UploadReached:
    """The server holds at least ``offset`` bytes of the upload of the device's item ``item_id``."""

    item_id: str
    offset: int


BackendEvent = FaultHolding | UploadReached


@dataclass(frozen=True)
class Observed:
    """Whether a waited-for event happened in time, and what was seen last (for the failure message)."""

    reached: bool
    seen: Mapping[str, int]


@runtime_checkable
class BackendAdapter(Protocol):
    """The backend: its admin side (tenants, users, ledger, fault hooks, seeded bugs) and office side."""

    url: str  # where devices (through the proxy) reach it: http://host:port
    can_be_killed: bool

    async def create_tenant(self, name: str) -> str: ...

    async def create_user(self, tenant_id: str, role: str, name: str) -> User: ...

    async def office(self, token: str, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """An office call (``POST /v1/jobs`` ...); returns the JSON answer or raises HarnessError."""
        ...

    async def set_bugs(self, tenant_id: str, names: list[str]) -> None: ...

    async def add_fault(self, tenant_id: str, fault: Mapping[str, Any]) -> None: ...

    async def ledger(self, tenant_id: str) -> dict[str, Any]: ...

    async def wait_for(self, tenant_id: str, event: BackendEvent, timeout: float) -> Observed:
        """Return as soon as ``event`` is observed for the tenant; ``reached`` False after ``timeout`` s."""
        ...

    async def kill(self) -> None: ...

    async def restart(self) -> None: ...

    async def close(self) -> None: ...
