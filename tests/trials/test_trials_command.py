"""`offline-harness trials`: zero violations on the references, and a seeded bug makes it fail."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def trials(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", "trials", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=180, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("kill", ["client", "server"])
def test_the_references_hold_exactly_once_through_kills(kill: str, tmp_path: Path) -> None:
    done = trials("--kill", kill, "--count", "3", "--seed", "5", "--report-dir", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "trials run: 3" in done.stdout and "violations: 0" in done.stdout
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [s["name"] for s in results["scenarios"]] == [f"kill-{kill}-{n:03d}" for n in (1, 2, 3)]
    assert [s["seed"] for s in results["scenarios"]] == [5, 6, 7]
    assert all(s["verdict"] == "pass" and s["violations"] == [] for s in results["scenarios"])
    target = "device" if kill == "client" else "server"
    assert all(any(step["label"].startswith(f"SIGKILL {target}") for step in s["timeline"]["steps"])
               for s in results["scenarios"])
    assert (tmp_path / "out" / "junit.xml").is_file() and (tmp_path / "out" / "report.html").is_file()


def test_the_reference_server_holds_exactly_once_when_killed_after_committing_part_of_a_batch(tmp_path: Path) -> None:
    done = trials("--kill", "server", "--count", "1", "--seed", "4", "--kill-in-flight", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "in flight: server had committed" in done.stdout and "violations: 0" in done.stdout


def test_a_device_that_keeps_its_outbox_in_memory_loses_work_when_killed(tmp_path: Path) -> None:
    # --kill-in-flight: the kill comes only once the device shows syncing with items still queued
    done = trials("--kill", "client", "--count", "1", "--seed", "4", "--kill-in-flight",
                  "--client-bug", "outbox_in_memory", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "in flight: device had" in done.stdout
    assert "LOST" in done.stdout and "verdict: FAIL" in done.stdout


def test_a_server_that_ignores_the_idempotency_key_duplicates_a_batch_cut_by_its_kill(tmp_path: Path) -> None:
    # --kill-in-flight: the kill comes only once the server's database shows part of the batch committed
    done = trials("--kill", "server", "--count", "1", "--seed", "4", "--kill-in-flight", "--report-dir", "out",
                  "--server-bug", "ignore_idempotency_key", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "in flight: server had committed" in done.stdout
    assert "DUPLICATE" in done.stdout and "mid-batch" in done.stdout
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["summary"]["failed"] == 1
    assert {"DUPLICATE"} <= {v["kind"] for v in results["scenarios"][0]["violations"]}


@pytest.mark.parametrize(("args", "named"), [
    (["--kill", "client", "--count", "0"], "--count"),
    (["--kill", "server", "--server-bug", "no_such_bug"], "no_such_bug"),
    (["--kill", "client", "--client-bug", "no_such_bug"], "no_such_bug"),
    (["--kill", "both"], "--kill"),
    (["--kill", "server", "--kill-in-flight", "yes"], "yes"),
])
def test_bad_options_exit_2_with_one_clear_line(args: list[str], named: str, tmp_path: Path) -> None:
    done = trials(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert named in done.stderr and "Traceback" not in done.stderr
