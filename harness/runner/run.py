"""Runs scenarios: one shared server and one network backend per run, each scenario in its own tenant
behind its own proxy, up to ``workers`` scenarios at once in one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.checker import check
from harness.core.errors import HarnessError
from harness.network.control import Network, network_backend
from harness.runner.adapters import BackendAdapter
from harness.runner.execute import ScenarioRun
from harness.runner.histories import merge_histories, timeline_items
from harness.runner.recorder import Recorder
from harness.runner.reference_backend import ReferenceBackend
from harness.runner.reference_device import InProcessDevice, ProcessDevice
from harness.runner.result import ERROR, FAIL, PASS, RunResult, ScenarioResult
from harness.runner.world import World
from harness.scenarios.model import KillStep, RestartStep, Scenario

QUIESCE_S = 3.0  # after the last step, how long the devices get to finish what is in flight
# The embedded Toxiproxy seeds each connection's draws (jitter, toxicity, slicer sizes) with
# "<server seed>:<proxy name>:<connection index>": with this fixed server seed and a proxy named
# from the scenario's name and seed, a scenario replays its jitter whatever else runs beside it.
NETWORK_SEED = 0


@dataclass
class RunOptions:
    backend: str = "embedded"
    seed: int | None = None  # overrides every scenario's seed
    time_scale: float = 1.0
    workers: int = 4


@dataclass
class Environment:
    """What the scenarios of one run share: the network backend, the server, a scratch directory."""

    network: Network
    backend: BackendAdapter
    scratch: Path
    proxies_made: dict[str, int] = field(default_factory=dict)  # per scenario name and seed
    server_db: Path | None = None  # the reference server's SQLite file, when this environment started it

    def proxy_name(self, scenario: str, seed: int) -> str:
        """``<scenario>-seed<seed>-<n>``: the same on every run, unique within this one."""
        base = f"{scenario}-seed{seed}"
        self.proxies_made[base] = self.proxies_made.get(base, 0) + 1
        return f"{base}-{self.proxies_made[base]}"


def open_network(backend_kind: str = "embedded") -> contextlib.AbstractAsyncContextManager[Network]:
    """A network backend seeded as every run's: the same proxy name draws the same jitter."""
    return network_backend(backend_kind, seed=NETWORK_SEED)


@contextlib.asynccontextmanager
async def environment(backend_kind: str = "embedded", *, server: Any = None,
                      killable_server: bool = False) -> AsyncIterator[Environment]:
    """The one set-up of a run, for the CLI, the pytest plugin and the crash trials alike: a network
    backend seeded with ``NETWORK_SEED`` and a reference server.

    ``server``: an already running reference server (``harness.server.running.InProcessServer``,
    shared with others): used, never stopped. Otherwise one is started for the block, in this
    process, or as a child process with ``killable_server`` (a scenario or trial SIGKILLs it).
    """
    with tempfile.TemporaryDirectory(prefix="offline-harness-") as scratch:
        async with open_network(backend_kind) as network:
            db = Path(scratch) / "server.db"
            if server is not None:
                backend = ReferenceBackend(server.url, server.admin_token)  # shared: not ours to stop
            elif killable_server:
                backend = await ReferenceBackend.child_process(db)
            else:
                backend = await ReferenceBackend.in_process(db)
            try:
                yield Environment(network, backend, Path(scratch), server_db=None if server is not None else db)
            finally:
                await backend.close()


def _targets(scenario: Scenario, target: str) -> bool:
    return any(isinstance(step, (KillStep, RestartStep)) and step.target == target for step in scenario.steps)


async def run_scenario(scenario: Scenario, env: Environment, options: RunOptions) -> ScenarioResult:
    """Run one scenario to its result; never raises for a problem of the scenario or the app."""
    seed = scenario.seed if options.seed is None else options.seed
    result = ScenarioResult(scenario.name, scenario.source, scenario.description, list(scenario.tags), seed)
    recorder = Recorder()
    scratch = env.scratch / f"{scenario.name}-{uuid.uuid4().hex[:8]}"
    scratch.mkdir(parents=True)
    try:
        await _run(scenario, env, options, seed, scratch, recorder, result)
    except HarnessError as exc:
        result.verdict, result.error = ERROR, str(exc)
    except Exception as exc:  # a harness or adapter bug: one line in the result, not a crash of the run
        result.verdict, result.error = ERROR, f"{type(exc).__name__}: {exc}"
    result.duration_s = recorder.now()
    return result


async def _run(scenario: Scenario, env: Environment, options: RunOptions, seed: int, scratch: Path,
               recorder: Recorder, result: ScenarioResult) -> None:
    # Whatever happens (a failure, an exception, a cancellation), what was opened is closed, in
    # reverse order, each even if the one before failed: no process of the scenario outlives it.
    async with contextlib.AsyncExitStack() as opened:
        backend: BackendAdapter = env.backend
        if _targets(scenario, "server"):
            backend = await ReferenceBackend.child_process(scratch / "server.db")
            opened.push_async_callback(backend.close)
        world = await World.create(backend, scenario.name, scenario.setup.technicians, seed, scenario.setup.bugs.server)
        opened.push_async_callback(world.close)
        await world.add_jobs(scenario.setup.jobs)
        upstream = backend.url.removeprefix("http://")
        world.link = await env.network.proxy(env.proxy_name(scenario.name, seed), upstream)
        run = ScenarioRun(scenario, world, recorder, seed=seed, time_scale=options.time_scale)
        opened.push_async_callback(run.stop_timers)
        if scenario.setup.network is not None:
            await run.network(scenario.setup.network)
        factory = ProcessDevice if _targets(scenario, "device") else InProcessDevice
        await world.start_devices(factory, scratch / "devices", scenario.setup.bugs.client)
        deadline = scenario.deadline_s * options.time_scale
        try:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation (Ctrl-C)
            # that lands as the steps finish (CPython gh-86296, fixed in 3.12).
            async with asyncio.timeout(deadline):
                await run.run_steps()
        except TimeoutError:
            run.expectation_failures.append(
                f"the scenario did not finish its steps within its deadline of {deadline:g} s")
        await run.stop_timers()
        await _quiesce(world, max(0.5, min(QUIESCE_S * options.time_scale, deadline - recorder.now())))
        histories = {name: await device.history() for name, device in world.devices.items()}
        for device in world.devices.values():
            await device.close()
        world.devices.clear()
        history = merge_histories(histories)
        ledger = await world.ledger()
        verdict = check(history, ledger, recorder.checker_timeline())
        _fill(result, run, verdict.to_dict(), history, recorder, world)


async def _quiesce(world: World, seconds: float) -> None:
    for device in world.devices.values():
        if getattr(device, "control", True) is None:  # killed and never restarted: read its store again
            await device.start()
    await asyncio.gather(*(device.wait_until("synced", seconds) for device in world.devices.values()))


def _fill(result: ScenarioResult, run: ScenarioRun, verdict: dict, history: dict, recorder: Recorder,
          world: World) -> None:
    fill_result(result, verdict, history, recorder, run.labels, world.job_name,
                expectation_failures=run.expectation_failures, expected_kinds=run.expected_kinds())


def fill_result(result: ScenarioResult, verdict: dict[str, Any], history: dict[str, Any], recorder: Recorder,
                labels: dict[str, str], job_name: Callable[[str | None], str | None], *,
                expectation_failures: list[str] | None = None, expected_kinds: Collection[str] = ()) -> None:
    """A result's verdict, violations, metrics and timeline from the checker's ``verdict`` (its
    ``to_dict``): it fails on a violation of a kind not expected, or on a failed expectation."""
    metrics = verdict["metrics"]
    result.violations = verdict["violations"]
    result.expectation_failures = expectation_failures if expectation_failures is not None else []
    result.metrics = {
        "time_to_sync_s": metrics["time_to_sync_s"], "sync_times_s": metrics["sync_times_s"],
        "requests": metrics["requests"], "retries": metrics["retries"], "bytes_on_wire": metrics["bytes_on_wire"],
        "payload_bytes": metrics["payload_bytes"], "wire_overhead_ratio": metrics["wire_ratio"],
    }
    unexpected = [v for v in result.violations if v["kind"] not in expected_kinds]
    result.verdict = FAIL if unexpected or result.expectation_failures else PASS
    result.timeline = {
        "duration_s": recorder.now(),
        "network": recorder.network_bands(),
        # several technicians: their indicators' changes merged in time order
        "sync_states": [{"t": recorder.offset(s["at"]), "state": s["state"]} for s in history.get("sync_states", [])],
        "steps": recorder.steps,
        "items": timeline_items(history, recorder, labels, job_name),
    }


async def run_scenarios(
    scenarios: list[Scenario], options: RunOptions,
    on_start: Callable[[Scenario], None] | None = None,
    on_done: Callable[[ScenarioResult], None] | None = None,
) -> RunResult:
    """Every scenario, ``options.workers`` at a time, in one environment; results in the given order."""
    run_result = RunResult(options.backend, options.seed, options.time_scale, time.time())
    async with environment(options.backend) as env:
        run_result.backend = env.network.kind if env.network.kind != "url" else env.network.url
        limit = asyncio.Semaphore(max(1, options.workers))

        async def one(scenario: Scenario) -> ScenarioResult:
            async with limit:
                if on_start:
                    on_start(scenario)
                result = await run_scenario(scenario, env, options)
                if on_done:
                    on_done(result)
                return result

        run_result.scenarios = list(await asyncio.gather(*(one(s) for s in scenarios)))
    run_result.finished_at = time.time()
    return run_result
