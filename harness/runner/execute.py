"""Runs one scenario's timeline against its world: network, actions, office, faults, kills, waits, expectations."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from harness.checker import VIOLATION_KINDS, Verdict, check
from harness.core.errors import HarnessError
from harness.network.control import Condition
from harness.network.control.flapping import Flapping
from harness.runner.adapters import BackendEvent, DeviceRefused, FaultHolding, UploadReached
from harness.runner.histories import merge_histories
from harness.runner.recorder import Recorder
from harness.runner.world import CARD_TOKENS, World, item_rng
from harness.scenarios.model import (
    BACKEND_EVENTS, ActionStep, CommitThenFailStep, DelayStep, DeviceFaultStep, ExpectStep, FaultStep, KillStep,
    NetworkCondition, NetworkStep, OfficeStep, RestartStep, Scenario, Step, WaitStep,
)
from harness.seed import media

PACKAGE_ROOT = Path(__file__).resolve().parents[2]


class ScenarioRun:
    """The state of one scenario while its steps run (what the device last showed, what was applied)."""

    def __init__(self, scenario: Scenario, world: World, recorder: Recorder, *, seed: int, time_scale: float) -> None:
        self.scenario = scenario
        self.world = world
        self.recorder = recorder
        self.seed = seed
        self.scale = time_scale
        self.expectation_failures: list[str] = []
        self.labels: dict[str, str] = {}  # item id -> the step's label
        self.card_refused: bool | None = None
        self.schedule_stale: dict[str, bool] = {}
        self.visible: dict[str, set[str]] = {}  # technician -> server ids of the jobs last shown
        self.conditions: list[Condition] = []
        self.enabled = True
        self._timers: list[asyncio.Task[None]] = []

    def fail(self, step: Step, message: str) -> None:
        where = f"line {step.line}: " if step.line else ""
        self.expectation_failures.append(f"{where}{message}")

    # --- the timeline ------------------------------------------------------------------
    async def run_steps(self) -> None:
        for index, step in enumerate(self.scenario.steps):
            await self.run_step(step, index)

    async def run_step(self, step: Step, index: int) -> None:
        run = next((STEP_RUNS[kind] for kind in type(step).__mro__ if kind in STEP_RUNS), None)
        if run is None:
            raise HarnessError(f"line {step.line}: the runner does not know the step {type(step).__name__}")
        await run(self, step, index)

    # --- network -----------------------------------------------------------------------
    async def network(self, step: NetworkStep) -> None:
        link = self.world.link
        assert link is not None
        if any(c.name in ("offline", "blackhole") for c in step.conditions):
            # Marked offline from the moment the change starts: an action right after it must count as
            # taken offline even though device timestamps have only millisecond precision.
            self.recorder.network_state("offline" if any(c.name == "offline" for c in step.conditions) else "blackhole")
        for condition in step.conditions:
            if condition.name in ("offline", "online"):
                self.enabled = condition.name == "online"
                await link.set_enabled(self.enabled)
            elif condition.name == "clear":
                await self.clear_network()
            else:
                await self.add_condition(condition.name, condition.params)
        self.recorder.step(step.label or f"network {', '.join(c.name for c in step.conditions)}")
        self.recorder.network_state(self.network_label())

    async def add_condition(self, name: str, params: dict[str, Any]) -> None:
        spec = NetworkCondition(name, params).link_condition(self.seed)
        assert spec is not None and self.world.link is not None
        kind, kwargs = spec
        if kind == "flapping":
            kwargs = {**kwargs, "up": kwargs["up"] * self.scale, "down": kwargs["down"] * self.scale}
        condition = self.world.link.condition(kind, **kwargs)
        await condition.apply()
        self.conditions.append(condition)
        self.recorder.flappings += _flappings(condition)
        if kind == "flapping" and params.get("for_s"):
            self._timers.append(asyncio.create_task(self._remove_later(condition, params["for_s"] * self.scale)))

    async def _remove_later(self, condition: Condition, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await condition.remove()
        if condition in self.conditions:
            self.conditions.remove(condition)
        self.recorder.network_state(self.network_label())

    async def clear_network(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for condition in reversed(self.conditions):
            await condition.remove()
        self.conditions.clear()
        self.enabled = True
        if self.world.link is not None:
            await self.world.link.set_enabled(True)

    def network_label(self) -> str:
        if not self.enabled:
            return "offline"
        names = [condition.description for condition in self.conditions]
        if any(name == "blackhole" for name in names):
            return "blackhole"
        return " + ".join(names) if names else "online"

    # --- technician and office ---------------------------------------------------------
    async def act(self, step: ActionStep, index: int) -> None:
        device = self.world.devices[step.technician]
        args = self.action_args(step, index)
        job = step.args.get("job")
        label = step.label or f"{step.technician} {step.action}{f' {job}' if job else ''}"
        self.recorder.step(label)
        try:
            result = await device.act(step.action, args)
        except DeviceRefused as refusal:
            if step.action == "charge_card":
                self.card_refused = refusal.offline
            self.recorder.step(f"{step.technician}'s device refused {step.action}: {refusal}")
            return
        if result.get("item_id"):
            self.labels[str(result["item_id"])] = label
        if step.action == "charge_card":
            self.card_refused = False
        elif step.action == "open_schedule":
            self.schedule_stale[step.technician] = bool(result.get("stale"))
            self.visible[step.technician] = {job["id"] for job in (result.get("data") or {}).get("jobs", [])}
        elif step.action == "refresh_assignments" and result.get("online"):
            self.visible[step.technician] = {job["id"] for job in result.get("jobs", [])}

    def action_args(self, step: ActionStep, index: int) -> dict[str, Any]:
        """The scenario's arguments in the device's terms: server ids, generated content from the seed."""
        rng = item_rng(self.seed, index)
        given = dict(step.args)
        job = self.world.jobs[given.pop("job")] if "job" in given else None
        args: dict[str, Any] = {"job_id": job.server_id} if job else {}
        action = step.action
        if action == "take_photo":
            size = int(given.get("size_kb", 200)) * 1024
            if "file" in given:
                args["data"] = _fixture(given["file"]).read_bytes()
                args["filename"] = Path(given["file"]).name
            else:
                args["data"] = media.photo(rng.randrange(2**31), size)
                args["filename"] = f"photo-{index}.png"
        elif action == "collect_signature":
            args["data"] = media.signature(rng.randrange(2**31))
            args["signer_name"] = given.get("signer_name") or (job.customer["name"] if job else "Customer")
            args["filename"] = f"signature-{index}.png"
        elif action == "add_note":
            args["text"] = given.get("text") or f"Note {index}: checked unit {rng.randrange(1000, 9999)}, all fine."
        elif action == "set_status":
            args["status"] = given["status"]
        elif action == "charge_card":
            args["amount_cents"] = int(given.get("amount_cents") or (job.amount_cents if job else 100))
            args["card_token"] = CARD_TOKENS[given.get("card", "ok")]
        elif action == "report_location":
            args["lat"] = float(given.get("lat", round(rng.uniform(40.60, 40.80), 5)))
            args["lon"] = float(given.get("lon", round(rng.uniform(-74.05, -73.90), 5)))
        elif action == "open_schedule" and "date" in given:
            args["date"] = given["date"]
        return args

    async def office(self, step: OfficeStep, index: int) -> None:
        args = step.args
        self.recorder.step(step.label or f"office {step.action} {args.get('job', '')}".strip())
        if step.action == "assign_job":
            await self.world.assign(args["job"], args["technician"], title=args.get("title"))
        else:
            raise HarnessError(f"line {step.line}: the runner does not know the office action {step.action!r}")

    # --- server faults, kills, restarts ------------------------------------------------
    async def fault(self, step: FaultStep | CommitThenFailStep | DelayStep) -> None:
        if isinstance(step, FaultStep):
            fault: dict[str, Any] = {"route": step.route, "action": "status", "status": step.status, "count": step.count}
            if step.retry_after is not None:
                fault["retry_after"] = step.retry_after
            what = f"fault {step.status} on {step.route} x{step.count}"
        elif isinstance(step, CommitThenFailStep):
            fault = {"route": step.route, "action": "commit_then_fail", "count": step.count}
            what = f"commit then fail on {step.route} x{step.count}"
        else:
            seconds = step.seconds * self.scale
            fault = {"route": step.route, "action": "delay", "seconds": seconds, "count": step.count}
            what = f"delay {seconds:g} s on {step.route} x{step.count}"
            if step.until is not None:
                fault["until"] = step.until
                what = f"delay on {step.route} x{step.count} until {step.until} (at most {seconds:g} s)"
        self.recorder.step(step.label or what)
        await self.world.backend.add_fault(self.world.tenant_id, fault)

    async def kill(self, step: KillStep) -> None:
        self.recorder.step(step.label or f"kill {step.target}")
        if step.target == "server":
            await self.world.backend.kill()
        else:
            for device in self.world.devices.values():
                await device.kill()

    async def restart(self, step: RestartStep) -> None:
        self.recorder.step(step.label or f"restart {step.target}")
        if step.target == "server":
            await self.world.backend.restart()
        else:
            for device in self.world.devices.values():
                await device.restart()

    async def device_fault(self, step: DeviceFaultStep) -> None:
        self.recorder.step(step.label or f"device fault {step.fault}")
        for device in self.world.devices.values():
            await device.inject_fault(step.fault)

    # --- waits and expectations --------------------------------------------------------
    async def wait(self, step: WaitStep) -> None:
        if step.seconds is not None:
            self.recorder.step(step.label or f"wait {step.seconds * self.scale:g} s")
            await asyncio.sleep(step.seconds * self.scale)
            return
        deadline = (step.deadline_s or self.scenario.deadline_s) * self.scale
        if step.until in BACKEND_EVENTS:
            return await self.wait_for_backend(step, deadline)
        self.recorder.step(step.label or f"wait until {step.until} (at most {deadline:g} s)")
        reached = await asyncio.gather(*(device.wait_until(step.until or "synced", deadline)
                                         for device in self.world.devices.values()))
        if not all(reached):
            shown = await self.shown_states()
            self.fail(step, f"wait until {step.until}: not reached within {deadline:g} s ({shown})")

    async def wait_for_backend(self, step: WaitStep, deadline: float) -> None:
        """Until the backend (or the stage in front of it) observed the event: the step a race hangs on."""
        event: BackendEvent
        if step.until == "fault_holding":
            event, what = FaultHolding(), "a delay fault holds an answer"
        else:
            item_id = self.item_made_by(step)
            if item_id is None:
                self.fail(step, f"wait until upload_offset: no earlier step labelled {step.item!r} made an item"
                                " (the device refused it, or the label names no take_photo/collect_signature step)")
                return
            event = UploadReached(item_id, int(step.nbytes or 0))
            what = f"the server holds {step.nbytes} bytes of {step.item!r}"
        self.recorder.step(step.label or f"wait until {what} (at most {deadline:g} s)")
        observed = await self.world.backend.wait_for(self.world.tenant_id, event, deadline)
        if not observed.reached:
            seen = ", ".join(f"{name} {value}" for name, value in observed.seen.items()) or "nothing"
            self.fail(step, f"wait until {step.until}: {what} did not happen within {deadline:g} s (seen: {seen})")

    def item_made_by(self, step: WaitStep) -> str | None:
        """The device's id of the item the step labelled ``step.item`` made (the latest, if several)."""
        made = [item_id for item_id, label in self.labels.items() if label == step.item]
        return made[-1] if made else None

    async def shown_states(self) -> str:
        parts = []
        for name, device in self.world.devices.items():
            parts.append(f"{name}: {await device.sync_state()}, {await device.queued()} queued")
        return "; ".join(parts)

    async def verdict_now(self) -> Verdict:
        history = merge_histories({name: await d.history() for name, d in self.world.devices.items()})
        return check(history, await self.world.ledger(), self.recorder.checker_timeline())

    async def expect(self, step: ExpectStep) -> None:
        self.recorder.step(step.label or "expect")
        devices = self.world.devices
        if step.sync_state is not None:
            states = {name: await device.sync_state() for name, device in devices.items()}
            if any(state != step.sync_state for state in states.values()):
                self.fail(step, f"expected sync_state {step.sync_state}, got {_named(states)}")
        if step.queued is not None:
            queued = sum([await device.queued() for device in devices.values()])
            if queued != step.queued:
                self.fail(step, f"expected {step.queued} queued item(s), got {queued}")
        if step.card_refused is not None and self.card_refused != step.card_refused:
            got = "no card payment was attempted" if self.card_refused is None else f"card_refused {self.card_refused}"
            self.fail(step, f"expected card_refused {step.card_refused}, got {got}")
        if step.schedule_stale is not None:
            if not self.schedule_stale:
                self.fail(step, "expected schedule_stale, but no technician opened the schedule")
            elif any(stale != step.schedule_stale for stale in self.schedule_stale.values()):
                self.fail(step, f"expected schedule_stale {step.schedule_stale}, got {_named(self.schedule_stale)}")
        if step.job_visible is not None:
            job = self.world.jobs[step.job_visible]
            if job.server_id not in self.visible.get(job.technician, set()):
                self.fail(step, f"expected job {step.job_visible} on {job.technician}'s schedule; it was not shown")
        for name, status in (step.job_status or {}).items():
            actual = await self.world.job_status(name)
            if actual != status:
                self.fail(step, f"expected job {name} {status} on the server, got {actual}")
        if step.emails is not None or step.charges is not None:
            ledger = await self.world.ledger()
            for what, wanted in (("emails", step.emails), ("charges", step.charges)):
                if wanted is not None and len(ledger.get(what, [])) != wanted:
                    self.fail(step, f"expected {wanted} {what} on the server, got {len(ledger.get(what, []))}")
        if step.max_retries is not None or step.max_requests is not None:
            counters = merge_histories({n: await d.history() for n, d in devices.items()})["counters"]
            for what, limit in (("retries", step.max_retries), ("requests", step.max_requests)):
                if limit is not None and counters.get(what, 0) > limit:
                    self.fail(step, f"expected at most {limit} {what}, got {counters.get(what, 0)}")
        if step.verdict is not None or step.violations is not None:
            verdict = await self.verdict_now()
            kinds = sorted(set(verdict.kinds()))
            if step.verdict is not None and ("pass" if verdict.passed else "fail") != step.verdict:
                self.fail(step, f"expected verdict {step.verdict}, got {'pass' if verdict.passed else 'fail'}"
                                f" ({', '.join(kinds) or 'no violation'})")
            if step.violations is not None and kinds != sorted(set(step.violations)):
                self.fail(step, f"expected violations [{', '.join(sorted(step.violations))}], got [{', '.join(kinds)}]")

    def expected_kinds(self) -> set[str]:
        """Violation kinds the scenario says it expects (a scenario proving that a bug is caught)."""
        kinds: set[str] = set()
        for step in self.scenario.steps:
            if isinstance(step, ExpectStep):
                if step.violations:
                    kinds |= set(step.violations)
                elif step.verdict == "fail":
                    kinds |= set(VIOLATION_KINDS)
        return kinds

    async def stop_timers(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for condition in self.conditions:
            if isinstance(condition, Flapping) or _flappings(condition):
                try:
                    await condition.remove()
                except Exception:
                    pass  # the proxy may already be gone


# How the runner runs each kind of step (the kinds: harness/scenarios/vocabulary/steps.py).
STEP_RUNS: dict[type[Step], Callable[[ScenarioRun, Any, int], Awaitable[None]]] = {
    NetworkStep: lambda run, step, index: run.network(step),
    ActionStep: ScenarioRun.act,
    OfficeStep: ScenarioRun.office,
    FaultStep: lambda run, step, index: run.fault(step),
    CommitThenFailStep: lambda run, step, index: run.fault(step),
    DelayStep: lambda run, step, index: run.fault(step),
    KillStep: lambda run, step, index: run.kill(step),
    RestartStep: lambda run, step, index: run.restart(step),
    DeviceFaultStep: lambda run, step, index: run.device_fault(step),
    WaitStep: lambda run, step, index: run.wait(step),
    ExpectStep: lambda run, step, index: run.expect(step),
}


def _named(values: dict[str, Any]) -> str:
    return ", ".join(f"{name}: {value}" for name, value in values.items())


def _flappings(condition: Condition) -> list[Flapping]:
    if isinstance(condition, Flapping):
        return [condition]
    return [f for part in getattr(condition, "parts", []) for f in _flappings(part)]


def _fixture(path: str) -> Path:
    """A fixture file named relative to the current directory or to the repository."""
    for base in (Path.cwd(), PACKAGE_ROOT):
        if (base / path).is_file():
            return base / path
    raise HarnessError(f"take_photo: no file {path!r} (looked in {Path.cwd()} and {PACKAGE_ROOT}); fix args.file")
