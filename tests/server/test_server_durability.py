"""SIGKILL of the server process: acknowledged writes and received upload bytes survive a restart."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from harness.server.running import ServerProcess

from .support import Seed, client, create_upload, head_offset, make_seed, open_patch, patch, wait_for


@pytest.fixture
def process(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path / "durable.db", admin_token="kill-admin").start()
    yield server
    server.kill()


def restart(server: ServerProcess) -> None:
    server.kill()
    server.start()


def reconnect(seed: Seed, server: ServerProcess) -> Seed:
    """The same tenant's clients, now talking to the restarted process."""
    for c in (seed.admin, seed.office, seed.tech, seed.other_tech):
        c.close()
    seed.admin, seed.tech = client(server.url, server.admin_token), client(server.url, seed.tech_token)
    return seed


def test_sigkill_mid_upload_keeps_bytes_before_the_cut_and_the_offset(process: ServerProcess) -> None:
    seed = make_seed(process.url, process.admin_token)
    photo = os.urandom(400_000)
    location = create_upload(seed.tech, seed.job_id, photo)
    with open_patch(process.url, seed.tech_token, location, 0, len(photo), photo[:250_000]):
        assert wait_for(lambda: head_offset(seed.tech, location) == 250_000)
        restart(process)  # the PATCH is still open when the server dies
    seed = reconnect(seed, process)
    assert head_offset(seed.tech, location) == 250_000
    done = patch(seed.tech, location, 250_000, photo[250_000:])
    assert done.status_code == 204
    assert hashlib.sha256(seed.tech.get(f"/v1/media/{done.headers['Media-Id']}/content").content).hexdigest() == \
        hashlib.sha256(photo).hexdigest()
    assert [m["kind"] for m in seed.ledger()["mutations"]] == ["photo"]


def hammer(url: str, token: str, job_id: str, acked: dict[str, str], attempted: dict[str, str],
           stop: threading.Event) -> None:
    """Send notes as fast as possible; remember which ones got a 2xx."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=5) as c:
        while not stop.is_set():
            item_id = str(uuid.uuid4())
            attempted[item_id] = item_id
            try:
                response = c.post(f"/v1/jobs/{job_id}/notes", json={"item_id": item_id, "text": item_id, "at": "t"},
                                  headers={"Idempotency-Key": item_id})
            except httpx.TransportError:
                return
            if response.status_code == 201:
                acked[item_id] = response.json()["id"]


def test_sigkill_mid_commit_keeps_every_acknowledged_write_and_no_half_record(process: ServerProcess,
                                                                              tmp_path: Path) -> None:
    seed = make_seed(process.url, process.admin_token)
    acked: dict[str, str] = {}
    attempted: dict[str, str] = {}
    for _ in range(3):
        stop = threading.Event()
        workers = [threading.Thread(target=hammer, args=(process.url, seed.tech_token, seed.job_id, acked,
                                                         attempted, stop)) for _ in range(4)]
        for w in workers:
            w.start()
        assert wait_for(lambda n=len(acked): len(acked) >= n + 20, timeout=10)
        restart(process)
        stop.set()
        for w in workers:
            w.join(10)
    seed = reconnect(seed, process)
    ledger_items = [m["item_id"] for m in seed.ledger()["mutations"]]
    notes = {n["item_id"]: n["id"] for n in seed.tech.get(f"/v1/jobs/{seed.job_id}").json()["notes"]}
    assert set(acked) <= set(ledger_items)
    assert all(notes[item_id] == note_id for item_id, note_id in acked.items())
    assert sorted(notes) == sorted(ledger_items)  # ledger and notes were committed together
    # Retrying every attempt with its key (what a client does after the restart) applies none twice.
    for item_id in attempted:
        seed.tech.post(f"/v1/jobs/{seed.job_id}/notes", json={"item_id": item_id, "text": item_id, "at": "t"},
                       headers={"Idempotency-Key": item_id})
    after = [m["item_id"] for m in seed.ledger()["mutations"]]
    assert sorted(after) == sorted(set(attempted))
    process.kill()
    with sqlite3.connect(tmp_path / "durable.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
