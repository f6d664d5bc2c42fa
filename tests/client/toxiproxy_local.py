"""A real `toxiproxy-server` on a free port with one proxy, for the client's integration tests.

Temporary and local to these tests until harness/network/control/ exists.
"""

from __future__ import annotations

import socket
import subprocess
import time
from datetime import datetime, timezone
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalToxiproxy:
    def __init__(self, binary: str, upstream: str) -> None:
        self.api = f"http://127.0.0.1:{free_port()}"
        self.proc = subprocess.Popen([binary, "-host", "127.0.0.1", "-port", self.api.rsplit(":", 1)[1]],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.http = httpx.Client(base_url=self.api, timeout=5)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.http.get("/version")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    self.close()
                    raise TimeoutError("toxiproxy-server did not answer within 10 s")
                time.sleep(0.05)
        proxy = self._ok(self.http.post("/proxies", json={
            "name": "server", "listen": f"127.0.0.1:{free_port()}", "upstream": upstream, "enabled": True}))
        self.url = f"http://{proxy['listen']}"
        self.timeline: list[dict[str, str]] = []  # the checker's network timeline: [{"at", "state"}]

    @staticmethod
    def _ok(response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise RuntimeError(f"toxiproxy API: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def set_enabled(self, enabled: bool) -> None:
        if not enabled:
            self._mark("offline")
        self._ok(self.http.post("/proxies/server", json={"enabled": enabled}))
        if enabled:
            self._mark("online")

    def _mark(self, state: str) -> None:
        self.timeline.append({"at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"), "state": state})

    def add_toxic(self, name: str, kind: str, stream: str = "upstream", **attributes: Any) -> None:
        self._ok(self.http.post("/proxies/server/toxics", json={
            "name": name, "type": kind, "stream": stream, "toxicity": 1.0, "attributes": attributes}))

    def remove_toxic(self, name: str) -> None:
        self._ok(self.http.delete(f"/proxies/server/toxics/{name}"))

    def close(self) -> None:
        self.http.close()
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
