"""`offline-harness toxiproxy`: starts with both flag spellings; bad input gives one line, no traceback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

WAIT = 15.0


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", "toxiproxy", *args], capture_output=True, text=True, timeout=WAIT
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_api(url: str, process: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + WAIT
    while True:
        try:
            return httpx.get(f"{url}/proxies", timeout=1)
        except httpx.TransportError:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the embedded server did not start"
            time.sleep(0.05)


def test_port_in_use_gives_one_clear_line_and_a_nonzero_exit() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = run_cli("--host", "127.0.0.1", "--port", str(busy.getsockname()[1]))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "cannot listen on" in lines[0] and "--port" in lines[0]


def test_unresolvable_host_gives_one_clear_line_and_exit_2() -> None:
    result = run_cli("--host", "no-such-host.invalid", "--port", str(free_port()))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "'no-such-host.invalid'" in lines[0] and "--host 127.0.0.1" in lines[0]


def test_unknown_flag_exits_2() -> None:
    result = run_cli("--no-such-flag")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--no-such-flag" in result.stderr


def test_missing_config_file_gives_one_clear_line() -> None:
    result = run_cli("--port", str(free_port()), "--config", "/nonexistent/proxies.json")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "/nonexistent/proxies.json" in result.stderr


def test_single_dash_flags_of_the_real_server_work_and_config_is_loaded(tmp_path: Path) -> None:
    config = tmp_path / "proxies.json"
    config.write_text(json.dumps([{"name": "db", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9"}]))
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness",
            "toxiproxy",
            "-host",
            "127.0.0.1",
            "-port",
            str(port),
            "-config",
            str(config),
            "-seed",
            "3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        proxies = wait_for_api(f"http://127.0.0.1:{port}", process).json()
        assert list(proxies) == ["db"] and proxies["db"]["enabled"] is True
    finally:
        process.terminate()
        process.wait(WAIT)
