"""What the checker reads: the device's history, the server's ledger and the network timeline.

All three are plain JSON-able dicts; ``from_dict`` turns each into the dataclasses below and names
the missing or malformed field when it cannot (``CheckerInputError``). Unknown fields are ignored,
so either side can add fields without breaking the checker.

Required: item_id, kind, content_hash, accepted_at of an intent; item_id, started_at, outcome of an
attempt; seq, kind, content_hash, applied_at of a ledger entry. Everything else may be absent.
Ledger entries of kinds outside ``contract.KINDS`` (office data) are ignored.

Times are ISO-8601 UTC strings (``2026-11-25T08:00:00.125Z``) or numbers (seconds since the epoch).
Device, server and runner share one host clock in the harness, so their times are compared directly.

Device history (what the reference client exposes; an app adapter must give the same)::

    {
      "intents": [            # one per action the device accepted (persisted before it returned)
        {"item_id", "kind",   # kind: harness.core.contract.KINDS
         "job_id",            # or null (GPS, time entries without a job)
         "content_hash",      # harness.core.contract.content_hash of what the technician made
         "accepted_at",       # device time the action was accepted
         "idempotency_key",
         "order",             # per-job sequence number of the intent (1, 2, 3 ... within a job)
         "online_only",       # true for actions that must never be queued (payments, GPS)
         "queued",            # true when the action went into the outbox, false when it was sent
                              # at once (online-only actions); absent: the checker uses the timeline
         "extra": {}}         # kind-specific facts: "status" for status moves, "signer_name" for
      ],                      # signatures, "at" (device timestamp) for GPS, "doc_type", "label"
      "attempts": [           # one per request that carried the item (a batch counts for each item)
        {"item_id", "attempt" (1, 2, ...), "started_at", "ended_at",
         "outcome": "ok" | "fail" | "info",   # fail = definitely not applied; info = unknown
         "http_status": int | null,           # null when no response came
         "error": str | null,                 # the error code of a 4xx body, or the network error
         "retry_after": float | null}         # optional: seconds the answer's Retry-After asked for
      ],
      "refused": [{"kind", "job_id", "at", "reason"}],   # online-only actions refused offline
      "sync_states": [{"state": "offline" | "syncing" | "idle", "at"}],   # indicator changes
      "outbox": [item_id, ...],   # items still queued on the device when the history was taken;
                                  # absent/null = the device holds nothing (never-synced items are LOST)
      "counters": {"requests", "retries", "bytes_sent", "bytes_received", "payload_bytes"}
    }

Server ledger (``GET /admin/tenants/{tid}/ledger``, docs/PROTOCOL.md)::

    {"mutations": [{"seq", "kind", "item_id", "idempotency_key", "job_id", "content_hash",
                    "applied_at", "payload"}],     # applied mutations only (refusals are not here);
                                                   # media records are kind photo/signature with
                                                   # content_hash = sha256 and payload.signer_name
     "emails":  [{"seq", "to", "job_id", "doc_type", "item_id", "sent_at"}],
     "charges": [{"seq", "job_id", "item_id", "amount_cents", "charged_at"}],
     "uploads": [{"id", "item_id", "kind", "job_id", "sha256", "length", "state", "media_id",
                  "created_at"}]}

Network timeline (recorded by the runner): ``[{"at", "state"}]`` in time order; ``state`` is
``online``, ``offline``, ``blackhole`` or any other condition name. Before the first event the
network is online.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from typing import Any, ClassVar

OUTCOMES = ("ok", "fail", "info")
SYNC_STATES = ("offline", "syncing", "idle")
# Timeline states in which nothing reaches the server (a black hole accepts but never delivers).
OFFLINE_STATES = frozenset({"offline", "blackhole"})


class CheckerInputError(ValueError):
    """A history, ledger or timeline that does not have the documented shape."""


def parse_time(value: Any, where: str) -> float:
    """Seconds since the epoch from an ISO-8601 string or a number."""
    if isinstance(value, bool):
        raise CheckerInputError(f"{where}: expected a time, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    raise CheckerInputError(
        f"{where}: expected an ISO-8601 time like '2026-11-25T08:00:00Z' or epoch seconds, got {value!r}"
    )


class Record:
    """``from_dict`` for the flat records below, read off their dataclass fields.

    A field without a default is required; ``str``/``int``/``float``/``bool`` fields are converted,
    fields in ``TIMES`` are parsed as times, fields in ``CHOICES`` must hold one of the listed
    values, and ``ALIASES`` names another key a field may come under.
    """

    TIMES: ClassVar[tuple[str, ...]] = ()
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {}
    ALIASES: ClassVar[dict[str, str]] = {}

    @classmethod
    def from_dict(cls, data: object, where: str = "") -> Any:
        where = where or cls.__name__.lower()
        if not isinstance(data, Mapping):
            raise CheckerInputError(f"{where}: expected an object, got {type(data).__name__}")
        values: dict[str, Any] = {}
        for spec in fields(cls):  # type: ignore[arg-type]
            key = spec.name if spec.name in data else cls.ALIASES.get(spec.name, spec.name)
            if key in data:
                values[spec.name] = cls._convert(spec.name, str(spec.type), data[key], f"{where}.{spec.name}")
            elif spec.default is MISSING and spec.default_factory is MISSING:
                raise CheckerInputError(f"{where}: missing field {spec.name!r}")
        return cls(**values)

    @classmethod
    def _convert(cls, name: str, type_: str, value: Any, where: str) -> Any:
        if value is None:
            if "None" in type_:
                return None
            raise CheckerInputError(f"{where}: must not be null")
        if name in cls.TIMES:
            return parse_time(value, where)
        if name in cls.CHOICES and value not in cls.CHOICES[name]:
            raise CheckerInputError(f"{where}: {value!r} is not one of {list(cls.CHOICES[name])}")
        base = type_.replace(" | None", "")
        if base.startswith("dict"):
            if not isinstance(value, Mapping):
                raise CheckerInputError(f"{where}: expected an object, got {type(value).__name__}")
            return dict(value)
        convert = _CONVERTERS.get(base)
        try:
            return value if convert is None else convert(value)
        except (TypeError, ValueError):
            raise CheckerInputError(f"{where}: expected {base}, got {value!r}") from None


_CONVERTERS: dict[str, Any] = {"str": str, "int": int, "float": float, "bool": bool}


def _records(cls: type[Record], data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    items = data.get(key) or []
    if not isinstance(items, list):
        raise CheckerInputError(f"{where}.{key}: expected a list, got {type(items).__name__}")
    return [cls.from_dict(item, f"{where}.{key}[{index}]") for index, item in enumerate(items)]


def _mapping(data: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise CheckerInputError(f"{where}: expected an object, got {type(data).__name__}")
    return data


@dataclass(frozen=True)
class Intent(Record):
    item_id: str
    kind: str
    content_hash: str
    accepted_at: float
    job_id: str | None = None
    idempotency_key: str | None = None
    order: int | None = None
    online_only: bool = False
    queued: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    TIMES = ("accepted_at",)


@dataclass(frozen=True)
class Attempt(Record):
    item_id: str
    started_at: float
    outcome: str
    attempt: int = 1
    ended_at: float | None = None
    http_status: int | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds the answer's Retry-After header asked the device to wait

    TIMES = ("started_at", "ended_at")
    CHOICES = {"outcome": OUTCOMES}


@dataclass(frozen=True)
class Refusal(Record):
    kind: str
    at: float
    job_id: str | None = None
    reason: str = ""

    TIMES = ("at",)


@dataclass(frozen=True)
class SyncState(Record):
    state: str
    at: float

    TIMES = ("at",)
    CHOICES = {"state": SYNC_STATES}


@dataclass(frozen=True)
class DeviceHistory:
    intents: list[Intent]
    attempts: list[Attempt] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    sync_states: list[SyncState] = field(default_factory=list)
    outbox: frozenset[str] = frozenset()
    counters: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeviceHistory:
        where = "history"
        data = _mapping(data, where)
        outbox = data.get("outbox") or []
        if not isinstance(outbox, list):
            raise CheckerInputError(f"{where}.outbox: expected a list of item ids, got {type(outbox).__name__}")
        return cls(
            intents=_records(Intent, data, "intents", where),
            attempts=_records(Attempt, data, "attempts", where),
            refused=_records(Refusal, data, "refused", where),
            sync_states=_records(SyncState, data, "sync_states", where),
            outbox=frozenset(str(item) for item in outbox),
            counters=dict(_mapping(data.get("counters") or {}, f"{where}.counters")),
        )


@dataclass(frozen=True)
class LedgerEntry(Record):
    seq: int
    kind: str
    content_hash: str
    applied_at: float
    item_id: str | None = None
    idempotency_key: str | None = None
    job_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    TIMES = ("applied_at",)


@dataclass(frozen=True)
class Email(Record):
    seq: int
    sent_at: float
    item_id: str | None = None
    job_id: str | None = None
    doc_type: str | None = None
    to: str | None = None

    TIMES = ("sent_at",)


@dataclass(frozen=True)
class Charge(Record):
    seq: int
    amount_cents: int
    charged_at: float
    item_id: str | None = None
    job_id: str | None = None

    TIMES = ("charged_at",)


@dataclass(frozen=True)
class Upload(Record):
    """A tus upload; informational (an orphan upload is fine as long as one media record exists)."""

    id: str
    item_id: str | None = None
    kind: str | None = None
    state: str | None = None
    length: int | None = None
    media_id: str | None = None

    ALIASES = {"id": "upload_id"}


@dataclass(frozen=True)
class Ledger:
    mutations: list[LedgerEntry]
    emails: list[Email] = field(default_factory=list)
    charges: list[Charge] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ledger:
        where = "ledger"
        data = _mapping(data, where)
        return cls(
            mutations=sorted(_records(LedgerEntry, data, "mutations", where), key=lambda entry: entry.seq),
            emails=_records(Email, data, "emails", where),
            charges=_records(Charge, data, "charges", where),
            uploads=_records(Upload, data, "uploads", where),
        )


@dataclass(frozen=True)
class NetworkEvent(Record):
    at: float
    state: str

    TIMES = ("at",)

    @property
    def offline(self) -> bool:
        return self.state in OFFLINE_STATES


def timeline_from_list(events: Sequence[object] | None) -> list[NetworkEvent]:
    """The network timeline in time order."""
    parsed = [NetworkEvent.from_dict(event, f"timeline[{index}]") for index, event in enumerate(events or [])]
    return sorted(parsed, key=lambda event: event.at)
