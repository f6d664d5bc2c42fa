"""A scenario as typed objects: what the runner executes, whether it came from YAML or from Python.

Every step records the line it was written on (0 when built in Python), so a failure can point
back at the scenario file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.scenarios.vocabulary.network import CONDITIONS, SWITCHES

DEFAULT_SEED = 0
DEFAULT_DEADLINE_S = 60.0


@dataclass(frozen=True)
class NetworkCondition:
    """One network change in the scenario's words, e.g. ``latency`` with ``{"ms": 300}``."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def link_condition(self, seed: int | None = None) -> tuple[str, dict[str, Any]] | None:
        """The same change as ``harness.network.control.Link.condition(name, **kwargs)`` takes it;
        None for ``clear`` (remove every condition), which is not a condition of its own.
        ``flapping``'s ``for_s`` is left to the runner (it removes the condition after that time)."""
        if self.name in SWITCHES:
            return self.name, {}
        kind = CONDITIONS.get(self.name)
        return None if kind is None else kind.link(self.params, seed)


@dataclass(frozen=True, kw_only=True)
class Step:
    line: int = 0
    label: str | None = None


@dataclass(frozen=True, kw_only=True)
class NetworkStep(Step):
    conditions: tuple[NetworkCondition, ...]


@dataclass(frozen=True, kw_only=True)
class ActionStep(Step):
    """A technician acts on their device: ``action`` is one of schema.json's ``do`` values."""

    technician: str
    action: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class OfficeStep(Step):
    action: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class FaultStep(Step):
    """The server answers the next ``count`` requests on ``route`` with ``status``."""

    route: str
    status: int
    retry_after: float | None = None
    count: int = 1


@dataclass(frozen=True, kw_only=True)
class CommitThenFailStep(Step):
    route: str
    count: int = 1


@dataclass(frozen=True, kw_only=True)
class DelayStep(Step):
    """The server holds its answer to the next ``count`` requests on ``route`` for ``seconds``;
    ``until: retried`` lets each go as soon as a retry of it has been answered (``seconds`` is the cap)."""

    route: str
    seconds: float
    count: int = 1
    until: str | None = None


@dataclass(frozen=True, kw_only=True)
class KillStep(Step):
    target: str  # "device" or "server"


@dataclass(frozen=True, kw_only=True)
class RestartStep(Step):
    target: str


@dataclass(frozen=True, kw_only=True)
class DeviceFaultStep(Step):
    """A fault of the devices' surroundings (schema.json ``device_fault``), e.g. ``corrupt_next_upload_chunk``."""

    fault: str


# What ``wait: {until: ...}`` waits for: what every device shows, or an event on the backend's side.
DEVICE_CONDITIONS = ("synced", "idle", "syncing", "offline")
BACKEND_EVENTS = ("fault_holding", "upload_offset")


@dataclass(frozen=True, kw_only=True)
class WaitStep(Step):
    """Either a pause of ``seconds``, or until a condition holds (``until``) within ``deadline_s``.

    ``upload_offset`` names the upload by the label of the step that made the item (``item``) and
    the offset the server must hold of it (``nbytes``, ``bytes`` in YAML)."""

    seconds: float | None = None
    until: str | None = None
    deadline_s: float | None = None
    item: str | None = None
    nbytes: int | None = None


@dataclass(frozen=True, kw_only=True)
class ExpectStep(Step):
    """Expectations at this point; None means "not checked"."""

    verdict: str | None = None
    violations: tuple[str, ...] | None = None
    sync_state: str | None = None
    queued: int | None = None
    card_refused: bool | None = None
    job_visible: str | None = None
    schedule_stale: bool | None = None
    job_status: dict[str, str] | None = None
    emails: int | None = None
    charges: int | None = None
    max_retries: int | None = None
    max_requests: int | None = None


@dataclass(frozen=True)
class Job:
    id: str
    technician: str
    title: str | None = None
    status: str = "scheduled"
    customer: dict[str, str] | None = None
    line_items: tuple[dict[str, Any], ...] | None = None


@dataclass(frozen=True)
class Bugs:
    """Seeded bugs to switch on, by side (names from harness/server/bugs.py and harness/client/bugs.py)."""

    server: tuple[str, ...] = ()
    client: tuple[str, ...] = ()


@dataclass(frozen=True)
class Setup:
    technicians: tuple[str, ...]
    jobs: tuple[Job, ...]
    network: NetworkStep | None = None
    bugs: Bugs = field(default_factory=Bugs)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    setup: Setup
    steps: tuple[Step, ...]
    tags: tuple[str, ...] = ()
    seed: int = DEFAULT_SEED
    deadline_s: float = DEFAULT_DEADLINE_S
    source: str | None = None  # the file it was read from
