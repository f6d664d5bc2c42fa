"""`offline-harness serve` refuses bad arguments with one line and exit code 2."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path


def serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", "serve", *args], capture_output=True, text=True,
                          timeout=30)


def test_port_out_of_range_is_exit_2_with_one_line(tmp_path: Path) -> None:
    result = serve("--port", "70000", "--db", str(tmp_path / "x.db"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "--port" in result.stderr


def test_port_in_use_is_exit_2_without_traceback(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = serve("--port", str(taken.getsockname()[1]), "--db", str(tmp_path / "x.db"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "cannot serve" in result.stderr


def test_missing_db_is_a_usage_error() -> None:
    result = serve("--port", "0")
    assert result.returncode == 2 and "--db" in result.stderr
