"""No run leaves a process behind: every device or server process the runner starts is terminated
and waited for, whether its scenario passes, fails, errors, is cancelled or interrupted (Ctrl-C)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness.runner import RunOptions, reference_device, run_scenarios
from harness.runner import processes as runner_processes
from harness.runner.reference_backend import ReferenceBackend
from harness.runner.reference_device import InProcessDevice, ProcessDevice
from harness.runner.select import load_selected
from harness.scenarios import parse_scenario
from harness.scenarios.model import (
    Job,
    RestartStep,
    Scenario,
    Setup,
)

from .processes import Spawned, descendants, mentioning, record

REPO = Path(__file__).resolve().parents[2]

HEAD = """\
name: both-killed
description: The app and the backend crash and come back while a note waits to sync.
seed: 3
deadline: {deadline}
setup:
  technicians: [alice]
  jobs: [{{id: job1, technician: alice}}]
steps:
"""
# Both parts as their own processes: a kill and a restart of each, then a note to sync.
KILL_BOTH = """\
  - kill: device
  - restart: device
  - kill: server
  - restart: server
  - {as: alice, do: add_note, args: {job: job1}}
"""


def scenario_text(steps: str, deadline: int = 30) -> str:
    return HEAD.format(deadline=deadline) + steps


@pytest.fixture
def spawned(monkeypatch) -> Spawned:
    return record(monkeypatch)


@pytest.fixture
def new_children():
    """The processes below this one that were not there when the test started."""
    before = {process.pid for process in descendants()}
    return lambda: [process for process in descendants() if process.pid not in before]


def scratch_of(name: str) -> re.Pattern[str]:
    """What the command of a process started for scenario ``name`` holds: its scratch folder."""
    return re.compile(rf"/{re.escape(name)}-[0-9a-f]{{8}}/")


def left_by(name: str, spawned: Spawned) -> list[str]:
    """Processes started for scenario ``name`` and never waited for: still running, or zombies. (While
    this process lives, such a process stays its child, so the child processes in /proc show it too.)"""
    pattern = scratch_of(name)
    mine = [p for p in spawned if pattern.search(" ".join(map(str, p.args)))]
    return Spawned.not_reaped(mine) + [p.command for p in descendants() if pattern.search(p.command)]


async def run_one(text: str):
    (result,) = (await run_scenarios([parse_scenario(text, "s.yaml")], RunOptions())).scenarios
    return result


async def error_leaving_nothing(text: str, spawned: Spawned, new_children) -> str:
    """The error a scenario ends with, once it is checked that none of its processes is left."""
    result = await run_one(text)
    assert result.verdict == "error", result.explain()
    assert left_by(result.name, spawned) == [] and new_children() == []
    return result.error


@pytest.mark.slow
async def test_no_scenario_of_the_catalogue_leaves_a_process(spawned: Spawned, new_children) -> None:
    catalogue = load_selected([REPO / "scenarios"])
    left: dict[str, list[str]] = {}

    def done(result) -> None:  # called as each scenario ends, while the others still run
        left[result.name] = left_by(result.name, spawned)

    await run_scenarios(catalogue, RunOptions(), on_done=done)
    assert set(left) == {scenario.name for scenario in catalogue}
    assert {name: processes for name, processes in left.items() if processes} == {}
    started_for = {name for name in left if any(scratch_of(name).search(" ".join(map(str, p.args))) for p in spawned)}
    assert {"app-and-backend-crash", "device-killed-mid-upload", "server-killed-mid-sync"} <= started_for
    assert new_children() == []


async def test_a_failing_scenario_leaves_no_process(spawned: Spawned, new_children) -> None:
    result = await run_one(scenario_text(KILL_BOTH + "  - wait: {until: synced, deadline_s: 15}\n"
                                                      "  - expect: {queued: 5}\n"))
    assert result.verdict == "fail" and "expected 5 queued item(s), got 0" in result.explain()
    assert len(spawned.mentioning("harness serve")) == 2 and len(spawned.mentioning("harness client")) == 2
    assert left_by("both-killed", spawned) == [] and new_children() == []


async def test_a_scenario_erroring_mid_run_leaves_no_process(spawned: Spawned, new_children) -> None:
    error = await error_leaving_nothing(scenario_text(KILL_BOTH + "  - {as: alice, do: take_photo, args: {job: job1,"
                                                                 " file: no/such/photo.png}}\n"), spawned, new_children)
    assert "take_photo: no file 'no/such/photo.png'" in error and spawned.mentioning("harness serve")


def python_scenario(*steps) -> Scenario:
    return Scenario("restart-unkilled", "A restart of a server nobody killed.",
                    Setup(("alice",), (Job("job1", "alice"),)), tuple(steps))


async def test_a_python_scenario_restarting_a_running_server_errors_and_leaves_no_process(
        spawned: Spawned, new_children) -> None:
    # YAML refuses this at load time (harness/scenarios/lifecycle.py); a Python scenario is not loaded
    scenario = python_scenario(RestartStep(target="server"))
    (result,) = (await run_scenarios([scenario], RunOptions())).scenarios
    assert result.verdict == "error" and "the server is still running" in result.error
    assert len(spawned.mentioning("harness serve")) == 1  # no second server tried to bind the port
    assert left_by("restart-unkilled", spawned) == [] and new_children() == []


async def test_a_server_process_that_never_gets_healthy_is_stopped(spawned: Spawned, new_children,
                                                                   monkeypatch) -> None:
    from harness.server import running

    real_wait_healthy = running.wait_healthy

    def never_healthy(url: str, timeout: float) -> None:  # for a server process; the in-process one is fine
        if not isinstance(sys._getframe(1).f_locals.get("self"), running.ServerProcess):
            return real_wait_healthy(url, timeout)
        raise TimeoutError(f"reference server at {url} not healthy after {timeout} s")

    monkeypatch.setattr(running, "wait_healthy", never_healthy)
    assert "not healthy" in await error_leaving_nothing(scenario_text(KILL_BOTH), spawned, new_children)
    assert len(spawned.mentioning("harness serve")) == 1


async def test_a_device_process_that_does_not_start_in_time_is_reaped(spawned: Spawned, new_children,
                                                                      monkeypatch) -> None:
    monkeypatch.setattr(reference_device, "START_TIMEOUT_S", 0.0)
    error = await error_leaving_nothing(scenario_text(KILL_BOTH), spawned, new_children)
    assert "the device process of alice did not start" in error and spawned.mentioning("harness client")


async def test_a_device_process_ignoring_sigterm_is_killed_and_reaped(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(runner_processes, "STOP_TIMEOUT_S", 0.2, raising=False)
    device = ProcessDevice("alice", tmp_path / "alice", "http://127.0.0.1:9", "token", seed=1)
    ignores = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True);"
               " time.sleep(120)")
    device.process = subprocess.Popen([sys.executable, "-c", ignores], stdout=subprocess.PIPE, text=True)
    assert device.process.stdout.readline() == "ready\n"  # its SIGTERM handler is in place
    await device.close()
    assert device.process.returncode == -signal.SIGKILL


async def test_an_adapter_whose_close_fails_still_lets_the_server_process_stop(spawned: Spawned, new_children,
                                                                               monkeypatch) -> None:
    real_close = InProcessDevice.close

    async def failing_close(self) -> None:
        await real_close(self)
        raise RuntimeError("the device adapter failed to close")

    monkeypatch.setattr(InProcessDevice, "close", failing_close)
    steps = "  - kill: server\n  - restart: server\n  - {as: alice, do: add_note, args: {job: job1}}\n"
    assert "failed to close" in await error_leaving_nothing(scenario_text(steps), spawned, new_children)
    assert len(spawned.mentioning("harness serve")) == 2


async def test_a_run_cancelled_while_the_server_restarts_leaves_no_process(spawned: Spawned, new_children,
                                                                           monkeypatch) -> None:
    """The restart's server process is spawned in a thread; the cancellation's cleanup must wait for
    it, or the process it spawns has no owner. The spawn is held until the cleanup waits for it (or,
    if the cleanup does not wait, until the run is over)."""
    loop = asyncio.get_running_loop()
    restarting, release = asyncio.Event(), threading.Event()
    recording = subprocess.Popen  # the spawned fixture's class, which records

    class HeldRestart(recording):  # type: ignore[misc, valid-type]
        def __init__(self, args, *rest, **kwargs) -> None:
            if "serve" in args and "--port" in args and args[args.index("--port") + 1] != "0":  # the restart
                loop.call_soon_threadsafe(restarting.set)
                release.wait(60)
            super().__init__(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", HeldRestart)
    real_stop = getattr(ReferenceBackend, "_stop_server", None)
    if real_stop is not None:  # the cleanup stops the server: the held spawn may go on now
        def releasing_stop(self) -> None:
            release.set()
            real_stop(self)

        monkeypatch.setattr(ReferenceBackend, "_stop_server", releasing_stop)
    steps = "  - kill: server\n  - restart: server\n  - wait: {until: synced, deadline_s: 30}\n"
    scenario = parse_scenario(scenario_text(steps, deadline=60))
    run = asyncio.create_task(run_scenarios([scenario], RunOptions()))
    await asyncio.wait_for(restarting.wait(), 60)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    release.set()
    await asyncio.to_thread(lambda: [thread.join(30) for thread in threading.enumerate()
                                     if thread.name.startswith("offline-harness start")])
    assert len(spawned.mentioning("harness serve")) == 2
    assert left_by("both-killed", spawned) == [] and new_children() == []


@pytest.mark.xfail(strict=False, reason=(
    "known open defect: in 3 of 3 full CI runs under load (never alone, 16 of 16 runs) the command did"
    " not exit within 60 s of Ctrl-C; the failure message now carries the child's signal dispositions"))
def test_ctrl_c_in_offline_harness_run_leaves_no_process(tmp_path: Path) -> None:
    scenario = tmp_path / "both.yaml"
    scenario.write_text(scenario_text(KILL_BOTH + "  - network: offline\n  - wait: {until: synced, deadline_s: 100}\n",
                                      deadline=120))
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(REPO)}
    log = tmp_path / "stderr.txt"  # a file, not a pipe: a full pipe would block the command
    with log.open("w") as stderr:
        cli = subprocess.Popen([sys.executable, "-m", "harness", "run", str(scenario), "--report-dir",
                                str(tmp_path / "out")], env=env, stdout=subprocess.DEVNULL, stderr=stderr,
                               preexec_fn=_as_from_a_terminal)
    try:
        # the event: the restarted server (on its port, no longer 0) and the device are up; both
        # name the scratch folder in their commands. /proc has nothing to block on, so it is polled.
        give_up = time.monotonic() + 120
        while not _both_restarted(scratch):
            assert cli.poll() is None and time.monotonic() < give_up, log.read_text()
            threading.Event().wait(0.02)
        dispositions = _signal_fields(cli.pid)
        cli.send_signal(signal.SIGINT)
        try:
            code = cli.wait(60)
        except subprocess.TimeoutExpired:
            code = None
        assert code == 130, (code, dispositions, log.read_text())
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    assert mentioning(str(scratch)) == [], log.read_text()
    assert "Traceback" not in log.read_text()


def _as_from_a_terminal() -> None:
    """Ctrl-C as a shell delivers it: SIGINT at its default and unblocked. A child inherits an ignored
    or blocked signal across exec, and Python installs no KeyboardInterrupt handler for an ignored
    SIGINT, so a disposition left by the test worker would make the command deaf to the signal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _signal_fields(pid: int) -> str:
    status = Path(f"/proc/{pid}/status").read_text()
    return " ".join(line for line in status.splitlines() if line.startswith(("SigBlk", "SigIgn", "SigCgt")))


def _both_restarted(scratch: Path) -> bool:
    commands = [process.command for process in mentioning(str(scratch))]
    return (any(" serve " in c and "--port 0 " not in c for c in commands)
            and any(" client " in c for c in commands))
