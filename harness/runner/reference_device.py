"""The reference client (harness/client) as a ``DeviceAdapter``: in this process (fast) or as its own
process driven over the control channel (``offline-harness client``), so a scenario can SIGKILL it."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping

from harness.core.errors import HarnessError
from harness.runner.adapters import DeviceRefused

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 20.0
MEDIA_ARG = {"take_photo": "photo", "collect_signature": "signature"}


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

        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            line = await asyncio.wait_for(asyncio.to_thread(self.process.stdout.readline), START_TIMEOUT_S)  # type: ignore[union-attr]
        except asyncio.TimeoutError:
            line = ""
        if not line.startswith("control listening on "):
            self.process.kill()
            error = await asyncio.to_thread(self.process.stderr.read)  # type: ignore[union-attr]
            last = (line or error).strip().splitlines()[-1:] or ["no output"]  # a traceback's last line says why
            raise HarnessError(f"the device process of {self.name} did not start: {last[0][:300]}")
        host, port = line.split()[-1].rsplit(":", 1)
        self.control = ControlClient(host, int(port), timeout=600)

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
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # SIGKILL: what the device acknowledged must survive it
            await asyncio.to_thread(self.process.wait, 10)

    async def restart(self) -> None:
        await self.kill()
        await self.start()

    async def close(self) -> None:
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                await asyncio.to_thread(self.process.wait, 10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.process is not None:
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()
