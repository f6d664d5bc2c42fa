"""The whole shipped catalogue passes on the real toxiproxy-server too, run as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.real_toxiproxy


def test_catalogue_passes_on_the_real_toxiproxy_server(real_toxiproxy_bin: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness", "run", str(ROOT / "scenarios"), "--backend", "binary",
         "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["backend"] == "binary"
    shipped = sorted(path.name for path in (ROOT / "scenarios").glob("*.yaml"))
    assert sorted(Path(s["file"]).name for s in results["scenarios"]) == shipped
    assert results["summary"]["passed"] == len(shipped) >= 20
