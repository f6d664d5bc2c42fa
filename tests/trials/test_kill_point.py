"""Kill points: drawn from the seed inside a phase; where a kill landed, read from the attempts."""

from __future__ import annotations

from typing import Any

import pytest

from harness.trials.kill_point import (
    AFTER,
    BATCH,
    BETWEEN,
    MID_BATCH,
    MID_UPLOAD,
    UPLOAD,
    KillPoint,
    SyncPace,
    backlog_size,
    draw_kill_point,
    landing,
)

T0 = 1_800_000_000.0  # epoch seconds


def at(offset: float) -> float:
    return T0 + offset


def attempt(item: str, op: str, start: float, end: float | None, outcome: str = "ok") -> dict[str, Any]:
    return {"item_id": item, "op": op, "started_at": at(start), "ended_at": None if end is None else at(end),
            "outcome": outcome}


INTENTS = [
    {"item_id": "n1", "kind": "note", "online_only": False, "extra": {}},
    {"item_id": "p1", "kind": "photo", "online_only": False, "extra": {"size": 300_000}},
    {"item_id": "g1", "kind": "gps", "online_only": True, "extra": {}},
]
ATTEMPTS = [attempt("n1", "batch", 0.0, 0.2), attempt("p1", "tus_create", 0.25, 0.3),
            attempt("p1", "tus_patch", 0.3, 0.6), attempt("p1", "tus_patch", 0.65, 0.9)]


def test_draws_are_reproducible_and_cover_both_phases() -> None:
    assert draw_kill_point(42) == draw_kill_point(42)
    points = [draw_kill_point(seed) for seed in range(200)]
    assert {p.phase for p in points} == {BATCH, UPLOAD}
    assert all(0.0 <= p.fraction < 1.0 for p in points)


def test_the_delay_scales_with_the_trials_own_backlog() -> None:
    pace = SyncPace(batch_s_per_item=0.002, upload_s_per_byte=1e-6)
    assert KillPoint(BATCH, 0.5).delay_s(pace, items=100, media_bytes=10**6) == pytest.approx(0.1)
    assert KillPoint(UPLOAD, 0.5).delay_s(pace, items=100, media_bytes=10**6) == pytest.approx(0.5)


def test_pace_is_read_off_an_unkilled_sync() -> None:
    pace = SyncPace.of({"intents": INTENTS, "attempts": ATTEMPTS}, at(0.0))
    assert backlog_size(INTENTS) == (1, 300_000)
    assert pace.batch_s(1) == pytest.approx(0.2)
    assert pace.upload_s(300_000) == pytest.approx(0.7)


@pytest.mark.parametrize(("killed", "expected"), [
    (0.1, MID_BATCH), (0.4, MID_UPLOAD), (0.62, BETWEEN), (1.5, AFTER),
])
def test_landing_names_the_request_open_at_the_kill(killed: float, expected: str) -> None:
    assert landing({"intents": INTENTS, "attempts": ATTEMPTS}, at(killed)) == expected


def test_an_attempt_left_open_by_a_killed_device_counts_as_in_flight() -> None:
    attempts = [attempt("n1", "batch", 0.0, None, "info"), attempt("n1", "batch", 2.0, 2.1)]
    assert landing({"intents": INTENTS[:1], "attempts": attempts}, at(0.5)) == MID_BATCH


def test_items_never_settled_mean_the_sync_was_not_over() -> None:
    # a device that lost its outbox in the kill never sends p1 again: still "between requests"
    assert landing({"intents": INTENTS, "attempts": ATTEMPTS[:1]}, at(0.22)) == BETWEEN
