"""A trial's verdict: the checker on the device's history and the server's ledger, plus the checks
only a crash trial needs (survival.py), and the result in the shape the reports read."""

from __future__ import annotations

from typing import Any

import httpx

from harness.checker import check
from harness.runner.histories import timeline_items
from harness.runner.recorder import Recorder
from harness.runner.result import FAIL, PASS, ScenarioResult
from harness.runner.world import World
from harness.trials.backlog import JOBS
from harness.trials.survival import acknowledged_survived, media_complete, visible_media


async def judge(base_url: str, world: World, history: dict[str, Any], ledger: dict[str, Any], recorder: Recorder,
                acknowledged: dict[str, dict[str, Any]], result: ScenarioResult) -> None:
    """Fill ``result``'s verdict, violations, metrics and timeline from what the trial left behind."""
    verdict = check(history, ledger, recorder.checker_timeline()).to_dict()
    applied = {m["item_id"] for m in ledger.get("mutations", [])}
    async with httpx.AsyncClient(base_url=base_url, timeout=15.0,
                                 headers={"Authorization": f"Bearer {world.office.token}"}) as http:
        records = await visible_media(http, [world.job_id(job) for job in JOBS])
    reported = {(v["kind"], v["item_id"]) for v in verdict["violations"]}
    extra = acknowledged_survived(acknowledged, history) + media_complete(records, history, applied)
    result.violations = verdict["violations"] + [v for v in extra if (v["kind"], v["item_id"]) not in reported]
    result.verdict = FAIL if result.violations else PASS
    metrics = verdict["metrics"]
    result.metrics = {
        "time_to_sync_s": metrics["time_to_sync_s"], "requests": metrics["requests"], "retries": metrics["retries"],
        "bytes_on_wire": metrics["bytes_on_wire"], "payload_bytes": metrics["payload_bytes"],
        "wire_overhead_ratio": metrics["wire_ratio"],
    }
    labels = {item_id: f"{answer.get('kind')} {world.job_name(answer.get('job_id')) or ''}".strip()
              for item_id, answer in acknowledged.items()}
    result.timeline = {
        "duration_s": recorder.now(), "network": recorder.network_bands(),
        "sync_states": [{"t": recorder.offset(s["at"]), "state": s["state"]} for s in history.get("sync_states", [])],
        "steps": recorder.steps, "items": timeline_items(history, recorder, labels, world.job_name),
    }
