"""Start `offline-harness client` as a real process and talk to it over its control channel."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from harness.client.control import ControlClient

REPO = Path(__file__).resolve().parents[2]


class ClientProcess:
    def __init__(self, store: Path, base_url: str, token: str = "t", *extra: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "harness", "client", "--store", str(store), "--base-url", base_url,
             f"--token={token}", "--control", "127.0.0.1:0", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        line = self.proc.stdout.readline()  # "control listening on HOST:PORT"
        if not line.startswith("control listening on "):
            self.proc.kill()
            raise RuntimeError(f"client did not start: {line!r} {self.proc.stderr.read()}")
        host, port = line.split()[-1].rsplit(":", 1)
        self.control = ControlClient(host, int(port), timeout=30)

    def call(self, op: str, **args):  # type: ignore[no-untyped-def]
        return self.control.call(op, **args)

    def kill(self) -> None:
        self.control.close()
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> int:
        self.control.close()
        self.proc.terminate()
        return self.proc.wait(timeout=10)
