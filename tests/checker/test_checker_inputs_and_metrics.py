"""The checker's input shapes, the network timeline and the run's metrics."""

from __future__ import annotations

import pytest
from checker_histories import World

from harness.checker import CheckerInputError, DeviceHistory, Ledger, check
from harness.checker.model import parse_time, timeline_from_list
from harness.checker.timeline import NetworkTimeline
from harness.core.contract import NOTE, PHOTO, content_hash


def test_iso_times_and_epoch_seconds_mean_the_same_instant() -> None:
    assert parse_time("2027-01-15T08:00:00+00:00", "t") == parse_time("2027-01-15T08:00:00Z", "t")
    assert parse_time("1970-01-01T00:00:10.500Z", "t") == 10.5
    assert parse_time(10.5, "t") == 10.5


def test_bad_time_names_the_field_and_the_expected_format() -> None:
    with pytest.raises(CheckerInputError, match=r"history.intents\[0\].accepted_at: expected an ISO-8601 time"):
        DeviceHistory.from_dict({"intents": [
            {"item_id": "a", "kind": "note", "content_hash": "h", "accepted_at": "yesterday"}]})


def test_missing_field_is_named_with_its_path() -> None:
    with pytest.raises(CheckerInputError, match=r"ledger.mutations\[1\]: missing field 'content_hash'"):
        Ledger.from_dict({"mutations": [
            {"seq": 1, "kind": "note", "content_hash": "h", "applied_at": 1},
            {"seq": 2, "kind": "note", "applied_at": 2}]})


def test_unknown_outcome_is_refused() -> None:
    with pytest.raises(CheckerInputError, match=r"outcome: 'maybe' is not one of \['ok', 'fail', 'info'\]"):
        DeviceHistory.from_dict({"intents": [], "attempts": [
            {"item_id": "a", "started_at": 1, "outcome": "maybe"}]})


def test_unknown_fields_are_ignored() -> None:
    history = DeviceHistory.from_dict({"intents": [], "app_version": "9.9", "counters": {"requests": 3}})
    assert history.counters == {"requests": 3}


def test_mutations_are_read_in_apply_order() -> None:
    ledger = Ledger.from_dict({"mutations": [
        {"seq": 2, "kind": "note", "content_hash": "h", "applied_at": 1},
        {"seq": 1, "kind": "note", "content_hash": "h", "applied_at": 1}]})
    assert [entry.seq for entry in ledger.mutations] == [1, 2]


def test_timeline_offline_periods_and_returns() -> None:
    network = NetworkTimeline.of(timeline_from_list([
        {"at": 30, "state": "online"}, {"at": 10, "state": "offline"}, {"at": 20, "state": "blackhole"},
        {"at": 50, "state": "offline"},
    ]))
    assert not network.offline_at(5)
    assert network.offline_at(10)  # a switch takes effect at its own time
    assert network.offline_at(25)
    assert not network.offline_at(30)
    assert network.returns() == [30.0]
    assert network.offline_period_containing(25) == (10.0, 30.0)
    assert network.offline_period_containing(35) is None
    assert network.offline_period_containing(60) == (50.0, None)


def test_counts_requests_and_retries_from_attempts() -> None:
    world = World()
    note = world.intent(NOTE, t=1)
    world.attempt(note, "fail", t=2, status=503)
    world.attempt(note, "fail", t=3, status=503)
    world.synced(note, t=4)
    metrics = world.verdict().metrics
    assert (metrics.requests, metrics.retries) == (3, 2)
    assert (metrics.intents, metrics.applied, metrics.pending) == (1, 1, 0)


def test_device_counters_win_over_counting_attempts() -> None:
    world = World()
    world.synced(world.intent(PHOTO, t=1))
    world.history["counters"] = {"requests": 7, "retries": 4, "bytes_sent": 1100, "bytes_received": 100,
                                 "payload_bytes": 1000}
    metrics = world.verdict().metrics
    assert (metrics.requests, metrics.retries, metrics.bytes_on_wire, metrics.wire_ratio) == (7, 4, 1200, 1.2)


def test_time_to_sync_runs_from_the_return_to_idle_after_the_backlog() -> None:
    world = World()
    world.network(10, "offline")
    world.network(30, "online")
    world.sync_state(10.5, "offline")
    world.sync_state(31, "syncing")
    world.synced(world.intent(NOTE, t=12), t=32)  # applied at 32.05
    world.sync_state(33.5, "idle")
    metrics = world.verdict().metrics
    assert metrics.sync_times_s == (pytest.approx(3.5),)
    assert metrics.time_to_sync_s == pytest.approx(3.5)


def test_time_to_sync_without_indicator_uses_the_last_backlog_apply() -> None:
    world = World()
    world.network(10, "offline")
    world.network(30, "online")
    world.synced(world.intent(NOTE, t=12), t=34)
    assert world.verdict().metrics.time_to_sync_s == pytest.approx(4.05)


def test_no_time_to_sync_when_the_indicator_never_returns_to_idle() -> None:
    world = World()
    world.network(10, "offline")
    world.network(30, "online")
    world.sync_state(31, "syncing")
    world.synced(world.intent(NOTE, t=12), t=32)
    metrics = world.verdict().metrics
    assert metrics.time_to_sync_s is None and metrics.sync_times_s == ()


def test_times_in_iso_strings_are_accepted_end_to_end() -> None:
    world = World()
    note = world.synced(world.intent(NOTE, t=1))
    note["accepted_at"] = "2027-01-15T08:00:00Z"
    world.ledger["mutations"][0]["applied_at"] = "2027-01-15T08:00:01.5Z"
    assert world.verdict().violations == []


def test_ledger_as_the_reference_server_returns_it() -> None:
    """Shape copied from GET /admin/tenants/{tid}/ledger of harness/server (ISO times with microseconds)."""
    note_hash = content_hash(NOTE, {"job_id": "job_8a46", "text": "hello"})
    ledger = {
        "mutations": [
            {"seq": 1, "kind": "note", "item_id": "2633", "idempotency_key": "kn", "job_id": "job_8a46",
             "content_hash": note_hash, "applied_at": "2026-11-25T18:27:59.098496Z",
             "payload": {"item_id": "2633", "text": "hello", "at": "2026-11-25T08:00:00Z"}},
            {"seq": 2, "kind": "photo", "item_id": "p1", "idempotency_key": "tus:up1", "job_id": "job_8a46",
             "content_hash": "a" * 64, "applied_at": "2026-11-25T18:28:00.000001Z", "payload": {"filename": "x.jpg"}},
        ],
        "emails": [],
        "charges": [],
        "uploads": [
            {"id": "up0", "item_id": "p1", "kind": "photo", "job_id": "job_8a46", "sha256": "a" * 64, "length": 10,
             "state": "created", "media_id": None, "created_at": "2026-11-25T18:27:58Z"},  # orphaned creation
            {"id": "up1", "item_id": "p1", "kind": "photo", "job_id": "job_8a46", "sha256": "a" * 64, "length": 10,
             "state": "complete", "media_id": "m1", "created_at": "2026-11-25T18:27:59Z"},
        ],
    }
    history = {"intents": [
        {"item_id": "2633", "kind": "note", "job_id": "job_8a46", "content_hash": note_hash,
         "accepted_at": "2026-11-25T08:00:00Z", "idempotency_key": "kn", "order": 1},
        {"item_id": "p1", "kind": "photo", "job_id": "job_8a46", "content_hash": "a" * 64,
         "accepted_at": "2026-11-25T08:00:01Z", "idempotency_key": None, "order": 2},
    ]}
    verdict = check(history, ledger, [])
    assert verdict.violations == []
    assert Ledger.from_dict(ledger).uploads[0].id == "up0"
