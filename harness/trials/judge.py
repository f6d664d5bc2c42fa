"""A trial's verdict: the checker on the device's history and the server's ledger, with the checker's
rules for a history that went through a kill (harness/checker/survival.py), filled in as the runner
fills a scenario's result."""

from __future__ import annotations

from typing import Any

import httpx

from harness.checker import check
from harness.checker.survival import check_survival
from harness.runner.recorder import Recorder
from harness.runner.result import ScenarioResult
from harness.runner.run import fill_result
from harness.runner.world import World
from harness.trials.backlog import JOBS
from harness.trials.survival import visible_media


async def judge(base_url: str, world: World, history: dict[str, Any], ledger: dict[str, Any], recorder: Recorder,
                acknowledged: dict[str, dict[str, Any]], result: ScenarioResult) -> None:
    """Fill ``result``'s verdict, violations, metrics and timeline from what the trial left behind."""
    verdict = check(history, ledger, recorder.checker_timeline()).to_dict()
    async with httpx.AsyncClient(base_url=base_url, timeout=15.0,
                                 headers={"Authorization": f"Bearer {world.office.token}"}) as http:
        records = await visible_media(http, [world.job_id(job) for job in JOBS])
    reported = {(v["kind"], v["item_id"]) for v in verdict["violations"]}
    survival = [v.to_dict() for v in check_survival(acknowledged, history, ledger, records)]
    verdict["violations"] += [v for v in survival if (v["kind"], v["item_id"]) not in reported]
    labels = {item_id: f"{answer.get('kind')} {world.job_name(answer.get('job_id')) or ''}".strip()
              for item_id, answer in acknowledged.items()}
    fill_result(result, verdict, history, recorder, labels, world.job_name)  # no violation is expected
