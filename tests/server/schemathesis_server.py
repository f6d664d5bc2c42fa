"""A live reference server for schemathesis: one seeded tenant whose users have known tokens.

Used by test_schemathesis.py; run as a script it is the CLI run of CI, `st run` with every check and
every phase (stateful included) for each role, exit status 1 if any run found a failure:

    python3 -m tests.server.schemathesis_server [extra `st run` options, e.g. --seed 7 --max-examples 60]
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

from harness.server.running import ServerProcess

from .support import make_seed

REPO = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
ADMIN_TOKEN = "test-admin-token"
# Known before the server exists, so a role's schemathesis config can name its token up front;
# make_seed's users (random tokens) are given these.
ROLE_TOKENS = {"technician": "schemathesis-technician-token", "office": "schemathesis-office-token",
               "admin": ADMIN_TOKEN}


@contextlib.contextmanager
def seeded_server(db_path: Path) -> Iterator[str]:
    """`offline-harness serve` in its own process (a core of its own beside schemathesis); yields its URL."""
    with ServerProcess(db_path, admin_token=ADMIN_TOKEN) as server:
        seed = make_seed(server.url, ADMIN_TOKEN)
        for c in (seed.admin, seed.office, seed.tech, seed.other_tech):
            c.close()
        with contextlib.closing(sqlite3.connect(db_path)) as conn, conn:
            conn.execute("UPDATE users SET token = ? WHERE id = ?", (ROLE_TOKENS["technician"], seed.tech_id))
            conn.execute("UPDATE users SET token = ? WHERE tenant_id = ? AND role = 'office'",
                         (ROLE_TOKENS["office"], seed.tenant_id))
        yield server.url


def run_cli(extra: list[str]) -> int:
    failed = 0
    with tempfile.TemporaryDirectory() as tmp, seeded_server(Path(tmp) / "server.db") as url:
        for role, token in ROLE_TOKENS.items():
            print(f"== schemathesis CLI, {role} token", flush=True)
            command = ["st", "--config-file", str(CONFIG), "run", f"{url}/openapi.json", "--checks", "all",
                       "--phases", "examples,coverage,fuzzing,stateful", *extra]
            env = {**os.environ, "ST_TOKEN": token, "PYTHONPATH": str(REPO)}
            failed |= subprocess.run(command, cwd=REPO, env=env).returncode != 0
    return int(failed)


if __name__ == "__main__":
    sys.exit(run_cli(sys.argv[1:]))
