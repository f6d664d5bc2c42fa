"""One crash trial: a busy sync, a SIGKILL at the drawn point, a restart, the sync finished, the checks.

Without a kill point it is the run's calibration: the same busy sync left alone, to measure its
pace on this machine (see kill_point.py).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from harness.core.errors import HarnessError
from harness.runner.adapters import DeviceAdapter
from harness.runner.recorder import Recorder
from harness.runner.reference_device import InProcessDevice, ProcessDevice
from harness.runner.result import ERROR, ScenarioResult
from harness.runner.run import Environment
from harness.runner.world import World
from harness.scenarios.model import Job
from harness.trials.backlog import JOBS, Action, make_backlog
from harness.trials.in_flight import applied_count, device_has_work, server_committed_more
from harness.trials.judge import judge
from harness.trials.kill_point import BATCH, KillPoint, SyncPace, landing
from harness.trials.targets import DeviceTarget, KillTarget, ServerTarget

TECH = "tech"
SYNC_DEADLINE_S = 30.0  # after the restart, the sync must finish within this, else STUCK
STATE_TIMEOUT_S = 10.0
POLL_S = 0.005
# Shaping of the link during the sync: a 1 MB/s uplink (a fair LTE uplink) makes the uploads' pace
# depend on the link rather than on the load of a shared CI machine, so kill points land where drawn.
UPLINK_KB_S = 1000
LATENCY_MS = 5


@dataclass
class TrialEnv:
    """What every trial of a run shares."""

    kill: str  # client | server
    environment: Environment  # the runner's: the network backend, the server (killable for server kills), scratch
    client_bugs: tuple[str, ...] = ()
    server_bugs: tuple[str, ...] = ()
    in_flight: bool = False  # --kill-in-flight: kill on evidence of work in flight, not at the drawn time


@dataclass
class TrialRecord:
    result: ScenarioResult
    landed: str | None = None  # kill_point.LANDINGS; None for the calibration
    pace: SyncPace | None = None  # measured (calibration only)
    kill_point: KillPoint | None = None
    kill_delay_s: float | None = None  # after the phase began
    in_flight: str | None = None  # --kill-in-flight: the evidence the kill waited for
    items: int = 0
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)


async def run_trial(env: TrialEnv, name: str, seed: int, point: KillPoint | None, pace: SyncPace) -> TrialRecord:
    """Never raises for a problem of the app or the harness: it becomes the trial's ``error``.
    Without a kill point: the calibration, which measures ``record.pace``."""
    target = "device" if env.kill == "client" else "server"
    description = ("calibration: a busy sync left alone, to measure its pace" if point is None else
                   f"SIGKILL of the {target} in the {point.phase} phase of a busy sync, restarted,"
                   " then exactly-once checked")
    result = ScenarioResult(name, None, description, ["trial", "kill", target], seed)
    record = TrialRecord(result, kill_point=point)
    recorder = Recorder()
    try:
        await _play(env, seed, point, pace, recorder, record)
    except HarnessError as exc:
        result.verdict, result.error = ERROR, str(exc)
    except Exception as exc:  # a harness bug: one line in the result, not a crash of the run
        result.verdict, result.error = ERROR, f"{type(exc).__name__}: {exc}"
    result.duration_s = recorder.now()
    return record


async def _play(env: TrialEnv, seed: int, point: KillPoint | None, pace: SyncPace, recorder: Recorder,
                record: TrialRecord) -> None:
    world = await World.create(env.environment.backend, record.result.name, (TECH,), seed, env.server_bugs)
    try:
        await world.add_jobs([Job(id=job, technician=TECH) for job in JOBS])
        world.link = await env.environment.network.proxy(f"{record.result.name}-{seed}", env.environment.backend.url.removeprefix("http://"))
        factory = ProcessDevice if env.kill == "client" else InProcessDevice
        await world.start_devices(factory, env.environment.scratch / record.result.name, env.client_bugs)
        device = world.devices[TECH]
        backlog = make_backlog(seed, {job: world.jobs[job].customer["name"] for job in JOBS},
                               world.jobs[JOBS[0]].amount_cents)
        acts = _Acts(device, world, recorder, record.acknowledged)
        await acts.play(backlog.online)
        await world.link.set_enabled(False)
        recorder.network_state("offline")
        await acts.play(backlog.offline)
        await _expect(device, "offline")
        await acts.play(backlog.paused)
        # nothing reaches the server while the link is down: the ledger the batch will add to
        applied_before = (applied_count(env.environment.server_db, world.tenant_id)
                          if env.in_flight and env.kill == "server" and env.environment.server_db else 0)
        await world.link.latency(LATENCY_MS, stream="both").apply()
        await world.link.bandwidth(UPLINK_KB_S, stream="upstream").apply()
        await world.link.set_enabled(True)
        recorder.network_state("online")
        await acts.play([Action("add_note", JOBS[0], {"text": "back in coverage"})])  # wakes the sync engine
        await _expect(device, "syncing")
        sync_started = time.time()
        recorder.step("device shows syncing")
        killed_at = None
        if point is not None and env.in_flight:
            killed_at = await _kill_in_flight(env, device, world.tenant_id, applied_before, recorder, record)
            record.kill_delay_s = round(killed_at - sync_started, 4)
        elif point is not None:
            small = len(backlog.offline) - len(backlog.media) + 1  # + the note that woke the engine
            record.kill_delay_s = point.delay_s(pace, small, backlog.media_bytes)
            killed_at = await _kill_at(env, device, point, record.kill_delay_s, len(backlog.media), recorder)
        synced = await device.wait_until("synced", SYNC_DEADLINE_S)
        recorder.step("synced" if synced else f"not synced after {SYNC_DEADLINE_S:g} s")
        history = await device.history()
        await device.close()
        world.devices.clear()
        ledger = await world.ledger()
        await judge(env.environment.backend.url, world, history, ledger, recorder, record.acknowledged, record.result)
        record.items = len(history.get("intents", []))
        if killed_at is None:
            record.pace = SyncPace.of(history, sync_started)
        else:
            record.landed = landing(history, killed_at)
            record.result.tags.append(record.landed.replace(" ", "-"))
            record.result.description += f"; landed {record.landed}"
    finally:
        await world.close()


async def _kill_at(env: TrialEnv, device: DeviceAdapter, point: KillPoint, delay_s: float, media_items: int,
                  recorder: Recorder) -> float:
    """Wait for the drawn point (the device shows "syncing" now), SIGKILL, restart; the kill's epoch time."""
    target: KillTarget = DeviceTarget(device) if env.kill == "client" else ServerTarget(env.environment.backend)
    if point.phase != BATCH:
        await _batch_settled(device, media_items)
        recorder.step("batch settled, uploads begin")
    await asyncio.sleep(delay_s)
    return await _kill_and_restart(target, recorder)


async def _kill_in_flight(env: TrialEnv, device: DeviceAdapter, tenant_id: str, applied_before: int,
                          recorder: Recorder, record: TrialRecord) -> float:
    """``--kill-in-flight``: SIGKILL once the evidence shows work in flight (see in_flight.py), restart."""
    if env.kill == "server":
        if env.environment.server_db is None:
            raise HarnessError("--kill-in-flight needs the server's database file")
        target: KillTarget = ServerTarget(env.environment.backend)
        applied = await server_committed_more(env.environment.server_db, tenant_id, applied_before, STATE_TIMEOUT_S)
        record.in_flight = f"server had committed {applied - applied_before} item(s) of the batch"
    else:
        target = DeviceTarget(device)
        record.in_flight = f"device had {await device_has_work(device)} item(s) queued"
    recorder.step(f"in flight: {record.in_flight}")
    return await _kill_and_restart(target, recorder)


async def _kill_and_restart(target: KillTarget, recorder: Recorder) -> float:
    killed_at = time.time()
    pid = await target.kill()
    recorder.step(f"SIGKILL {target.what} (pid {pid})")
    await target.restart()
    recorder.step(f"{target.what} restarted")
    return killed_at


async def _batch_settled(device: DeviceAdapter, media_items: int) -> None:
    """Poll until only the media items are left queued: the batch answer has been taken in."""
    deadline = time.monotonic() + STATE_TIMEOUT_S
    while await device.queued() > media_items:
        if time.monotonic() > deadline:
            raise HarnessError(f"the batch of small actions did not settle within {STATE_TIMEOUT_S:g} s")
        await asyncio.sleep(POLL_S)


async def _expect(device: DeviceAdapter, state: str) -> None:
    if not await device.wait_until(state, STATE_TIMEOUT_S):
        raise HarnessError(f"the device did not show {state!r} within {STATE_TIMEOUT_S:g} s"
                           f" (it shows {await device.sync_state()!r})")


class _Acts:
    """Plays actions on the device and keeps what it acknowledged (item id -> its answer)."""

    def __init__(self, device: DeviceAdapter, world: World, recorder: Recorder,
                 acknowledged: dict[str, dict[str, Any]]) -> None:
        self.device, self.world, self.recorder, self.acknowledged = device, world, recorder, acknowledged

    async def play(self, actions: list[Action]) -> None:
        for action in actions:
            args = dict(action.args)
            if action.job is not None:
                args["job_id"] = self.world.job_id(action.job)
            answer = await self.device.act(action.op, args)
            if answer.get("item_id") and (answer.get("queued") or answer.get("sent") or answer.get("charge")):
                self.acknowledged[answer["item_id"]] = answer
        if actions:
            self.recorder.step(f"{len(actions)} action(s): {', '.join(sorted({a.op for a in actions}))}")

