"""The work of one trial, drawn from its seed: a few online actions, then a mixed offline backlog.

Online first (never queued, so they must be settled before the kill window): GPS points and one
card payment. Then, offline: a GPS point (paused, not queued) and the backlog the busy sync drains:
status moves, notes, time entries, estimate/invoice sends, photos of varied sizes and signatures.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from harness.seed import media

JOBS = ("job-1", "job-2", "job-3")
CARD_TOKEN = "tok_visa"  # harness/server/payments.py charges every token but tok_decline
# Photo sizes (bytes): a thumbnail-like shot, a phone photo, a large one; several chunks in flight.
PHOTO_SIZES = ((20_000, 60_000), (100_000, 250_000), (300_000, 600_000))


@dataclass(frozen=True)
class Action:
    """One device action: ``op`` is the DeviceAdapter action, ``job`` a name of ``JOBS`` or None."""

    op: str
    job: str | None = None
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.op}{f' {self.job}' if self.job else ''}"


@dataclass(frozen=True)
class Backlog:
    online: list[Action]  # done while online, before the device goes offline
    offline: list[Action]  # done offline: queued
    paused: list[Action]  # done once the device shows offline: GPS, which must pause, not queue

    @property
    def media(self) -> list[Action]:
        return [action for action in self.offline if "data" in action.args]

    @property
    def media_bytes(self) -> int:
        return sum(len(action.args["data"]) for action in self.media)


def make_backlog(seed: int, signers: dict[str, str], amount_cents: int) -> Backlog:
    """The same seed always gives the same actions, in the same order, with the same bytes."""
    rng = random.Random(f"trial-backlog:{seed}")
    online = [_gps(rng) for _ in range(rng.randint(2, 4))]
    online.append(Action("charge_card", JOBS[0], {"amount_cents": amount_cents, "card_token": CARD_TOKEN}))
    offline: list[Action] = [Action("clock_in")]
    photos = 0
    for index, job in enumerate(JOBS):
        offline += [Action("set_status", job, {"status": "en_route"}), Action("clock_in", job)]
        offline.append(Action("set_status", job, {"status": "in_progress"}))
        # a long day of notes: enough small actions that the server spends a while committing the batch
        offline += [Action("add_note", job, {"text": _note(rng, job, n)}) for n in range(rng.randint(25, 60))]
        for _ in range(rng.randint(1, 2)):
            photos += 1
            low, high = PHOTO_SIZES[rng.randrange(len(PHOTO_SIZES))]
            data = media.photo(rng.randrange(2**31), rng.randint(low, high))
            offline.append(Action("take_photo", job, {"data": data, "filename": f"{job}-{photos}.png"}))
        if index != 1 or rng.random() < 0.5:
            offline.append(Action("collect_signature", job, {"data": media.signature(rng.randrange(2**31)),
                                                              "signer_name": signers[job]}))
        if rng.random() < 0.7:
            offline.append(Action("send_estimate", job))
        offline += [Action("set_status", job, {"status": "complete"}), Action("clock_out", job),
                    Action("send_invoice", job)]
    offline.append(Action("clock_out"))
    return Backlog(online, offline, [_gps(rng)])


def _gps(rng: random.Random) -> Action:
    return Action("report_location", None, {"lat": round(rng.uniform(40.0, 41.0), 6),
                                            "lon": round(rng.uniform(-74.5, -73.5), 6)})


def _note(rng: random.Random, job: str, number: int) -> str:
    part = rng.choice(("valve", "filter", "thermostat", "breaker", "gasket", "sensor"))
    verb = rng.choice(("replaced", "checked", "cleaned", "tightened", "ordered"))
    return f"{job} note {number}: {part} {verb}"
