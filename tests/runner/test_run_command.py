"""`offline-harness run`: exit codes, the broken-file message, the reports it writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .scenario_texts import BROKEN, SERVER_IGNORES_KEY, TINY, write

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", "run", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})


def test_all_passing_exits_0_and_writes_the_results(tmp_path: Path) -> None:
    path = write(tmp_path / "scenarios", "tiny.yaml", TINY)
    done = run_cli(str(path), "--report-dir", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tiny-note" in done.stdout and "1/1 passed" in done.stdout
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["summary"]["passed"] == 1 and results["scenarios"][0]["file"] == str(path)


def test_default_path_is_the_catalogue_of_the_current_folder(tmp_path: Path) -> None:
    write(tmp_path / "scenarios", "tiny.yaml", TINY)
    done = run_cli("--report-dir", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1/1 passed" in done.stdout


def test_a_failing_scenario_exits_1_and_names_the_violation_and_seed(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    write(folder, "tiny.yaml", TINY)
    write(folder, "bug.yaml", SERVER_IGNORES_KEY)
    done = run_cli(str(folder), "--report-dir", "out", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "DUPLICATE" in done.stdout and "--seed 9" in done.stdout
    assert "1/2 passed" in done.stdout


def test_k_selects_scenarios_by_name_or_tag(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    write(folder, "tiny.yaml", TINY)
    write(folder, "bug.yaml", SERVER_IGNORES_KEY)
    done = run_cli(str(folder), "-k", "smoke and not bug", "--report-dir", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1/1 passed" in done.stdout and "server-ignores-key" not in done.stdout


def test_a_broken_file_exits_2_with_file_line_and_fix_and_no_traceback(tmp_path: Path) -> None:
    write(tmp_path / "scenarios", "broken.yaml", BROKEN)
    done = run_cli("scenarios/broken.yaml", cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("offline-harness run: error: scenarios/broken.yaml:8:")
    assert "add_note" in lines[0]  # the fix: the action it meant
    assert "Traceback" not in done.stderr + done.stdout


def test_bad_flags_exit_2(tmp_path: Path) -> None:
    path = write(tmp_path / "scenarios", "tiny.yaml", TINY)
    for args in (["--time-scale", "0"], ["-n", "0"], ["--backend", "carrier-pigeon"], ["--seed", "x"],
                 ["no/such/file.yaml"]):
        done = run_cli(str(path), *args, cwd=tmp_path) if args[0] != "no/such/file.yaml" else run_cli(*args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, args
