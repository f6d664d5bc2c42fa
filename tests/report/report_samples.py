"""Hand-made results dicts in the runner's shape (harness.report's docstring) for the report tests."""

from __future__ import annotations

from typing import Any

SCRIPT_NAME = '<script>alert("x")</script> & "quotes"'


def attempt(start: float, end: float, outcome: str, status: int | None = None) -> dict[str, Any]:
    return {"start_t": start, "end_t": end, "outcome": outcome, "http_status": status}


def item(item_id: str, kind: str, accepted: float, acked: float | None, *attempts: dict[str, Any],
         label: str | None = None) -> dict[str, Any]:
    return {"item_id": item_id, "kind": kind, "job_id": "job-1", "label": label or f"{kind} of job-1",
            "accepted_t": accepted, "acknowledged_t": acked, "attempts": list(attempts)}


def passing_scenario() -> dict[str, Any]:
    return {
        "name": "offline-then-online",
        "file": "scenarios/offline_then_online.yaml",
        "description": "A technician works a whole job offline; everything syncs once on reconnect.",
        "tags": ["offline", "all-kinds"],
        "seed": 7,
        "verdict": "pass",
        "duration_s": 8.4,
        "violations": [],
        "expectation_failures": [],
        "error": None,
        "metrics": {"time_to_sync_s": 1.2, "requests": 9, "retries": 0, "bytes_on_wire": 412_330,
                    "payload_bytes": 401_200, "wire_overhead_ratio": 1.03},
        "timeline": {
            "duration_s": 8.4,
            "network": [{"t": 0.0, "state": "online"}, {"t": 1.0, "state": "offline"}, {"t": 5.0, "state": "online"}],
            "sync_states": [{"t": 0.1, "state": "idle"}, {"t": 1.1, "state": "offline"},
                            {"t": 5.2, "state": "syncing"}, {"t": 6.4, "state": "idle"}],
            "steps": [{"t": 1.0, "label": "network offline"}, {"t": 1.5, "label": "tech status en_route job-1"},
                      {"t": 2.2, "label": "tech take_photo job-1"}, {"t": 3.0, "label": "tech add_note job-1"},
                      {"t": 5.0, "label": "network online"}, {"t": 5.1, "label": "wait until synced"}],
            "items": [
                item("st-1", "status", 1.5, 5.6, attempt(5.3, 5.6, "ok", 200), label="status en_route"),
                item("ph-1", "photo", 2.2, 6.2, attempt(5.3, 6.2, "ok", 204)),
                item("nt-1", "note", 3.0, 5.8, attempt(5.4, 5.8, "ok", 201)),
            ],
        },
    }


def failing_scenario(name: str = "response-lost-after-commit") -> dict[str, Any]:
    history = ["0.40 s accepted note nt-7 (key k-7)", "1.20 s attempt 1 sent, connection reset: info",
               "1.90 s attempt 2 sent, 201 Created: ok", "server ledger: seq 3 and seq 4 both apply nt-7"]
    return {
        "name": name,
        "file": "scenarios/response_lost_after_commit.yaml",
        "description": "The server commits a note but the response is lost; the retry must not apply it twice.",
        "tags": ["trap", "idempotency"],
        "seed": 42,
        "verdict": "fail",
        "duration_s": 4.25,
        "violations": [
            {"kind": "DUPLICATE", "item_id": "nt-7", "message": "applied 2 times (ledger seq 3, 4)", "history": history},
            {"kind": "STUCK", "item_id": "ph-2", "message": "still queued at the deadline (4.0 s)",
             "history": ["0.60 s accepted photo ph-2", "1.30 s attempt 1: fail (HTTP 503)"]},
        ],
        "expectation_failures": ["expected sync_state idle, got syncing"],
        "error": None,
        "metrics": {"time_to_sync_s": None, "requests": 6, "retries": 3, "bytes_on_wire": 2_310_000,
                    "payload_bytes": 2_100_000, "wire_overhead_ratio": 1.1},
        "timeline": {
            "duration_s": 4.25,
            "network": [{"t": 0.0, "state": "online"}, {"t": 1.0, "state": "reset_peer"},
                        {"t": 1.5, "state": "degraded"}, {"t": 2.5, "state": "online"}],
            "sync_states": [{"t": 0.0, "state": "idle"}, {"t": 0.4, "state": "syncing"}],
            "steps": [{"t": 0.4, "label": "tech add_note job-1"}, {"t": 0.6, "label": "tech take_photo job-1"},
                      {"t": 1.0, "label": "server drop_response_after_commit"}, {"t": 4.0, "label": "wait until synced"}],
            "items": [
                item("nt-7", "note", 0.4, 1.9, attempt(0.5, 1.2, "info"), attempt(1.5, 1.9, "ok", 201)),
                item("ph-2", "photo", 0.6, None, attempt(1.0, 1.3, "fail", 503), attempt(2.6, 3.0, "fail", 503)),
                item("gp-1", "gps", 0.2, 0.3, attempt(0.2, 0.3, "ok", 200), label="gps point"),
            ],
        },
    }


def error_scenario() -> dict[str, Any]:
    return {
        "name": "payment-offline", "file": "scenarios/payment_offline.yaml",
        "description": "Card payment attempted offline must be refused.", "tags": ["payment"], "seed": 3,
        "verdict": "error", "duration_s": 0.3, "violations": [], "expectation_failures": [],
        "error": "reference server did not start within 10 s (port 8123 in use?)", "metrics": {}, "timeline": None,
    }


def many_items_scenario(count: int = 300, violating: tuple[int, ...] = (250,)) -> dict[str, Any]:
    scenario = failing_scenario("backlog-of-300")
    items = [item(f"it-{n}", "note", n * 0.01, 4.0 + n * 0.001, attempt(3.5, 4.0 + n * 0.001, "ok", 201),
                  label=f"note {n}") for n in range(count)]
    scenario["violations"] = [{"kind": "LOST", "item_id": f"it-{n}", "message": "never applied", "history": []}
                              for n in violating]
    scenario["timeline"] = {**scenario["timeline"], "items": items}
    return scenario


def run(*scenarios: dict[str, Any], seed: int | None = None) -> dict[str, Any]:
    return {
        "harness_version": "0.1.0",
        "started_at": "2026-11-25T18:00:00Z", "finished_at": "2026-11-25T18:00:41Z",
        "backend": "embedded", "seed": seed, "time_scale": 1.0,
        "summary": {"total": len(scenarios), "passed": sum(s["verdict"] == "pass" for s in scenarios),
                    "failed": sum(s["verdict"] == "fail" for s in scenarios),
                    "errors": sum(s["verdict"] == "error" for s in scenarios), "duration_s": 41.2},
        "scenarios": list(scenarios),
    }
