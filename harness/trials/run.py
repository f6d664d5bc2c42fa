"""A run of crash trials: one network backend and one reference server, a calibration sync, then
``count`` trials, each in its own tenant, device store and proxy, one after the other (a kill must
not disturb a neighbour's trial)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from harness.runner.result import RunResult, ScenarioResult
from harness.runner.run import environment
from harness.trials.kill_point import FALLBACK_PACE, LANDINGS, draw_kill_point
from harness.trials.trial import TrialEnv, TrialRecord, run_trial

TRIAL_TIMEOUT_S = 120.0


@dataclass
class TrialOptions:
    kill: str  # client | server
    count: int
    seed: int
    backend: str = "embedded"
    client_bugs: tuple[str, ...] = ()
    server_bugs: tuple[str, ...] = ()
    in_flight: bool = False  # --kill-in-flight (in_flight.py)


@dataclass
class TrialsOutcome:
    run: RunResult
    calibration: TrialRecord
    trials: list[TrialRecord] = field(default_factory=list)

    @property
    def landings(self) -> dict[str, int]:
        counts = Counter(record.landed for record in self.trials if record.landed)
        return {name: counts.get(name, 0) for name in LANDINGS}

    @property
    def violations(self) -> list[dict[str, Any]]:
        return [v for record in (self.calibration, *self.trials) for v in record.result.violations]

    @property
    def errors(self) -> list[ScenarioResult]:
        return [r.result for r in (self.calibration, *self.trials) if r.result.verdict == "error"]

    @property
    def passed(self) -> bool:
        return not self.violations and not self.errors

    def results(self) -> dict[str, Any]:
        """results.json: one scenario per trial (the calibration too, only when it did not pass)."""
        data = self.run.to_dict()
        if self.calibration.result.passed:
            data["scenarios"] = data["scenarios"][1:]
            passed = sum(1 for s in data["scenarios"] if s["verdict"] == "pass")
            data["summary"].update(total=len(data["scenarios"]), passed=passed)
        return data


@contextlib.asynccontextmanager
async def trial_env(options: TrialOptions) -> AsyncIterator[TrialEnv]:
    """The runner's environment; a server that is killed must be a child process, otherwise the
    faster in-process one."""
    async with environment(options.backend, killable_server=options.kill == "server") as env:
        yield TrialEnv(options.kill, env, options.client_bugs, options.server_bugs, options.in_flight)


async def run_trials(options: TrialOptions,
                     on_trial: Callable[[int, TrialRecord], None] | None = None) -> TrialsOutcome:
    """The calibration sync (reported to ``on_trial`` as number 0), then each trial in turn."""
    run = RunResult(options.backend, options.seed, 1.0, time.time())
    async with trial_env(options) as env:
        network = env.environment.network
        run.backend = network.kind if network.kind != "url" else network.url
        calibration = await _bounded(run_trial(env, "calibration", options.seed, None, FALLBACK_PACE),
                                     "calibration", options.seed)
        outcome = TrialsOutcome(run, calibration)
        run.scenarios.append(calibration.result)
        if on_trial:
            on_trial(0, calibration)
        pace = calibration.pace or FALLBACK_PACE  # a failed calibration is reported; the trials still run
        for number in range(1, options.count + 1):
            seed = options.seed + number - 1
            name = f"kill-{options.kill}-{number:03d}"
            record = await _bounded(run_trial(env, name, seed, draw_kill_point(seed), pace), name, seed)
            outcome.trials.append(record)
            run.scenarios.append(record.result)
            if on_trial:
                on_trial(number, record)
    run.finished_at = time.time()
    return outcome


async def _bounded(trial: Coroutine[Any, Any, TrialRecord], name: str, seed: int) -> TrialRecord:
    try:
        async with asyncio.timeout(TRIAL_TIMEOUT_S):  # not wait_for: see runner/run.py
            return await trial
    except TimeoutError:
        result = ScenarioResult(name, None, "crash trial", ["trial"], seed, verdict="error",
                                error=f"the trial did not finish within {TRIAL_TIMEOUT_S:g} s")
        return TrialRecord(result)
