"""RETRY_STORM: retried sooner than Retry-After, or at once after try-again-later answers in a row."""

from __future__ import annotations

from typing import Any

from checker_histories import World, at, found, only_violation

from harness.checker.retries import STORM_GAP_S, STORM_RUN
from harness.core.contract import NOTE


def answered(world: World, intent: dict[str, Any], *, start: float, status: int, outcome: str = "info",
             retry_after: float | None = None, duration: float = 0.01) -> float:
    """One attempt of ``intent`` from ``start`` lasting ``duration``; returns when it ended."""
    number = 1 + sum(1 for a in world.history["attempts"] if a["item_id"] == intent["item_id"])
    world.history["attempts"].append({
        "item_id": intent["item_id"], "attempt": number, "started_at": at(start),
        "ended_at": at(start + duration), "outcome": outcome, "http_status": status, "error": None,
        "retry_after": retry_after,
    })
    return start + duration


def retried_after_503s(gaps: list[float], *, retry_after: float | None = None) -> tuple[World, dict[str, Any]]:
    """A note answered 503 once per gap, each retried after that gap, then synced."""
    world = World()
    note = world.intent(NOTE)
    t = 1.0
    for gap in gaps:
        t = answered(world, note, start=t, status=503, retry_after=retry_after) + gap
    answered(world, note, start=t, status=201, outcome="ok")
    world.apply(note, t=t + 0.005)
    return world, note


def test_retry_before_retry_after_is_a_retry_storm() -> None:
    world, note = retried_after_503s([0.3], retry_after=1)
    violation = only_violation(world, "RETRY_STORM", note["item_id"])
    assert "Retry-After 1 s" in violation.message


def test_retry_after_the_retry_after_is_fine() -> None:
    world, _ = retried_after_503s([1.0, 1.2], retry_after=1)
    assert found(world.verdict()) == []


def test_run_of_try_later_answers_retried_at_once_is_a_retry_storm() -> None:
    world, note = retried_after_503s([0.002] * STORM_RUN)
    violation = only_violation(world, "RETRY_STORM", note["item_id"])
    assert f"{STORM_RUN} try-again-later answers in a row" in violation.message


def test_one_quick_retry_in_the_run_short_of_a_storm_is_fine() -> None:
    # full jitter may draw a short delay now and then; a run one short of STORM_RUN is no storm
    world, _ = retried_after_503s([0.002] * (STORM_RUN - 1) + [STORM_GAP_S * 3] + [0.002] * (STORM_RUN - 1))
    assert found(world.verdict()) == []


def test_growing_backoff_is_fine() -> None:
    world, _ = retried_after_503s([0.05, 0.2, 0.4, 0.9, 1.7, 3.1])
    assert found(world.verdict()) == []


def test_quick_retries_after_dropped_connections_are_not_a_storm() -> None:
    # no answer at all: the network's doing, not a "try again later" from the server
    world = World()
    note = world.intent(NOTE)
    t = 1.0
    for _ in range(STORM_RUN + 2):
        world.history["attempts"].append({
            "item_id": note["item_id"], "attempt": 1, "started_at": at(t), "ended_at": at(t + 0.01),
            "outcome": "info", "http_status": None, "error": "ReadError",
        })
        t += 0.012
    world.synced(note, t=t)
    assert found(world.verdict()) == []


def test_storm_is_reported_with_the_items_other_violations() -> None:
    world, note = retried_after_503s([0.001] * STORM_RUN)
    world.apply(note, t=9.0)  # and the retry storm applied it twice
    assert sorted(found(world.verdict())) == [("DUPLICATE", note["item_id"]), ("RETRY_STORM", note["item_id"])]
