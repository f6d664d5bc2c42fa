"""The reference client (harness/client) as a ``DeviceAdapter``: in this process (fast) or as its own
process driven over the control channel (``offline-harness client``), so a scenario can SIGKILL it."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any, Mapping

from harness.core.errors import HarnessError
from harness.core.vocabulary import MEDIA_ARGS
from harness.runner import processes
from harness.runner.adapters import DeviceRefused

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 20.0
MEDIA_ARG = MEDIA_ARGS  # the Device keyword of each action that takes media bytes


def _device_args(action: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario's action arguments as harness.client.Device's keyword arguments."""
    kwargs = dict(args)
    if action == "open_schedule" and "date" in kwargs:
        kwargs["day"] = kwargs.pop("date")
    return kwargs


class InProcessDevice:
    """harness.client.Device in the runner's event loop."""

    can_be_killed = False

    def __init__(self, name: str, store_dir: Path, base_url: str, token: str, *, seed: int,
                 bugs: tuple[str, ...] = ()) -> None:
        self.name = name
        self._options = dict(store_dir=store_dir, base_url=base_url, token=token, seed=seed, bugs=list(bugs))
        self.device: Any = None

    async def start(self) -> None:
        from harness.client import Device

        self.device = Device(**self._options)
        await self.device.start()

    async def act(self, action: str, args: Mapping[str, Any]) -> dict[str, Any]:
        from harness.client import OfflineError, RefusedError

        kwargs = _device_args(action, args)
        if action in MEDIA_ARG:
            kwargs[MEDIA_ARG[action]] = kwargs.pop("data")
        try:
            result = await getattr(self.device, action)(**kwargs)
        except OfflineError as exc:
            raise DeviceRefused(str(exc), offline=True) from None
        except RefusedError as exc:
            raise DeviceRefused(str(exc), offline=False) from None
        return dict(result or {})

    async def sync_state(self) -> str | None:
        return self.device.sync_state

    async def queued(self) -> int:
        return int(self.device.state()["pending"])

    async def wait_until(self, condition: str, timeout: float) -> bool:
        try:
            if condition == "synced":
                await self.device.wait_idle(timeout)
            else:
                await self.device.wait_state(condition, timeout)
        except asyncio.TimeoutError:
            return False
        return True

    async def history(self) -> dict[str, Any]:
        return self.device.history()

    async def inject_fault(self, fault: str) -> None:
        await self.device.inject_fault(fault)

    async def kill(self) -> None:
        raise HarnessError(f"the device of {self.name} runs in-process and cannot be killed")

    async def restart(self) -> None:
        raise HarnessError(f"the device of {self.name} runs in-process and cannot be restarted")

    async def close(self) -> None:
        if self.device is not None:
            await self.device.close()


class ProcessDevice:
    """``offline-harness client`` as a child process; its store survives a SIGKILL and a restart."""

    can_be_killed = True

    def __init__(self, name: str, store_dir: Path, base_url: str, token: str, *, seed: int,
                 bugs: tuple[str, ...] = ()) -> None:
        self.name = name
        self.command = [
            sys.executable, "-m", "harness", "client", "--store", str(store_dir), "--base-url", base_url,
            f"--token={token}", "--control", "127.0.0.1:0", "--seed", str(seed), f"--bugs={','.join(bugs)}",
        ]
        self.process: subprocess.Popen[str] | None = None
        self.control: Any = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        from harness.client.control import ControlClient

        if self.process is not None and self.process.poll() is None:
            raise HarnessError(f"the device of {self.name} is already running; kill it before starting it again")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))}
        # stderr to a file, not a pipe nobody reads while it runs: a full pipe would block the device
        with tempfile.TemporaryFile() as stderr:
            self.process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                            stderr=stderr, text=True, env=env)
            try:
                line = await self._first_line()
                if not line.startswith("control listening on "):
                    raise HarnessError(f"the device process of {self.name} did not start: {_last_line(line, stderr)}")
                host, port = line.split()[-1].rsplit(":", 1)
                self.control = ControlClient(host, int(port), timeout=600)
            except BaseException as exc:  # failed, timed out or cancelled: no process without an owner
                await processes.finish(functools.partial(processes.kill, self.process))
                if isinstance(exc, OSError):
                    raise HarnessError(f"the device process of {self.name} did not answer: {exc}") from None
                raise

    async def _first_line(self) -> str:
        assert self.process is not None and self.process.stdout is not None  # started with stdout=PIPE
        stdout = self.process.stdout
        try:
            # asyncio.timeout, not wait_for: 3.11's wait_for swallows a cancellation (Ctrl-C) that
            # lands as the line arrives (CPython gh-86296), which is when a restarted device answers.
            async with asyncio.timeout(START_TIMEOUT_S):
                return await asyncio.to_thread(stdout.readline)
        except TimeoutError:
            return ""

    async def _call(self, op: str, **args: Any) -> Any:
        from harness.client.control import ControlError

        if self.control is None:
            raise HarnessError(f"the device of {self.name} is not running (killed and not restarted)")
        async with self._lock:
            try:
                return await asyncio.to_thread(self.control.call, op, **args)
            except ControlError as exc:
                if exc.code == "offline":
                    raise DeviceRefused(exc.message, offline=True) from None
                if exc.code == "refused":
                    raise DeviceRefused(exc.message, offline=False) from None
                if exc.code == "timeout":
                    raise asyncio.TimeoutError(exc.message) from None
                raise HarnessError(f"device {self.name}: {op} failed: {exc.message}") from None

    async def act(self, action: str, args: Mapping[str, Any]) -> dict[str, Any]:
        kwargs = _device_args(action, args)
        if action in MEDIA_ARG:
            kwargs["data_b64"] = base64.b64encode(kwargs.pop("data")).decode()
        return dict(await self._call(action, **kwargs) or {})

    async def sync_state(self) -> str | None:
        return (await self._call("state"))["sync_state"]

    async def queued(self) -> int:
        return int((await self._call("state"))["pending"])

    async def wait_until(self, condition: str, timeout: float) -> bool:
        try:
            if condition == "synced":
                await self._call("wait_idle", timeout=timeout)
            else:
                await self._call("wait_state", state=condition, timeout=timeout)
        except asyncio.TimeoutError:
            return False
        return True

    async def history(self) -> dict[str, Any]:
        return dict(await self._call("history"))

    async def inject_fault(self, fault: str) -> None:
        await self._call("inject_fault", fault=fault)

    async def kill(self) -> None:
        self._close_control()
        # SIGKILL: what the device acknowledged must survive it
        await processes.finish(functools.partial(processes.kill, self.process))

    async def restart(self) -> None:
        await self.kill()
        await self.start()

    async def close(self) -> None:
        self._close_control()
        await processes.finish(functools.partial(processes.stop, self.process))

    def _close_control(self) -> None:
        if self.control is not None:
            control, self.control = self.control, None
            with contextlib.suppress(OSError):
                control.close()


def _last_line(line: str, stderr: IO[bytes]) -> str:
    """Why a process did not start: its first line of output, else the last line of its stderr (a
    traceback's last line says why)."""
    stderr.seek(0)
    last = (line or stderr.read().decode(errors="replace")).strip().splitlines()[-1:] or ["no output"]
    return last[0][:300]
