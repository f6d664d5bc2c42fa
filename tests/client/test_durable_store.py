"""Every action is durably stored, with its item id and key, before the call returns (kill-tested)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from harness.client.store import Store

REPO = Path(__file__).resolve().parents[2]

# Runs actions against an unreachable server, prints what the calls returned, then SIGKILLs itself.
ACT_THEN_DIE = textwrap.dedent("""
    import asyncio, json, os, signal, sys
    from harness.client.device import Device

    async def main():
        device = Device(sys.argv[1], "http://127.0.0.1:9", "t", bugs=sys.argv[2] or None)
        await device.start()
        done = [
            await device.set_status("job-1", "en_route"),
            await device.add_note("job-1", "fixed the leak"),
            await device.take_photo("job-1", b"photo-bytes" * 1000),
            await device.clock_in("job-1"),
            await device.send_invoice("job-1"),
        ]
        print(json.dumps([[d["item_id"], d["key"]] for d in done]), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    asyncio.run(main())
""")


def _act_then_die(store: Path, bugs: str = "") -> list[list[str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", ACT_THEN_DIE, str(store), bugs],
                          capture_output=True, text=True, timeout=30, env=env)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    return json.loads(proc.stdout)


def test_actions_survive_sigkill_right_after_returning(tmp_path):
    returned = _act_then_die(tmp_path / "store")
    store = Store(tmp_path / "store")
    outbox = [[item["item_id"], item["key"]] for item in store.outbox_items()]
    intents = [[intent["item_id"], intent["key"]] for intent in store.table("intents")]
    assert outbox == returned and intents == returned
    assert all(item["state"] == "pending" for item in store.outbox_items())
    photo = store.outbox_items()[2]
    assert Path(photo["media_path"]).read_bytes() == b"photo-bytes" * 1000
    assert photo["metadata"]["sha256"] == hashlib.sha256(b"photo-bytes" * 1000).hexdigest()


def test_outbox_in_memory_bug_forgets_the_queue_on_sigkill(tmp_path):
    returned = _act_then_die(tmp_path / "store", "outbox_in_memory")
    store = Store(tmp_path / "store")
    assert store.outbox_items() == []
    assert [[i["item_id"], i["key"]] for i in store.table("intents")] == returned  # the checker still knows


def test_an_attempt_open_at_a_kill_is_recorded_as_unknown(tmp_path):
    store = Store(tmp_path / "store")
    store.begin_attempts([("item-1", "key-1")], "batch", "POST", "/v1/batch", "2026-11-25T08:00:00Z")
    store.close()  # the process dies without ending the attempt
    attempts = Store(tmp_path / "store").table("attempts")
    assert [(a["item_id"], a["outcome"]) for a in attempts] == [("item-1", "info")]


def test_intent_log_numbers_each_jobs_actions_in_order(tmp_path):
    store = Store(tmp_path / "store")
    for n, status in enumerate(("en_route", "complete")):
        store.record_action({"item_id": f"i{n}", "kind": "status", "job_id": "job-1", "content_hash": status,
                             "accepted_at": "t", "key": f"k{n}", "online_only": False}, None)
    assert [(i["item_id"], i["job_order"]) for i in store.table("intents")] == [("i0", 1), ("i1", 2)]


async def test_history_shows_an_attempt_still_in_flight_as_unknown(make_device):
    device = make_device()
    note = await device.add_note("job-1", "n")
    device.store.begin_attempts([(note["item_id"], note["key"])], "batch", "POST", "/v1/batch", device.now())
    (attempt,) = device.history()["attempts"]
    assert attempt["outcome"] == "info" and attempt["in_flight"] is True and attempt["ended_at"] is None


def test_store_of_an_older_client_gains_the_retry_after_column(tmp_path: Path) -> None:
    import sqlite3

    old = sqlite3.connect(tmp_path / "device.sqlite3")
    old.execute("CREATE TABLE attempts (seq INTEGER PRIMARY KEY AUTOINCREMENT, item_id TEXT, key TEXT,"
                " op TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL, outcome TEXT, status INTEGER,"
                " error TEXT, started_at TEXT NOT NULL, ended_at TEXT)")
    old.execute("INSERT INTO attempts (op, method, path, started_at) VALUES ('batch', 'POST', '/v1/batch', 't0')")
    old.commit()
    old.close()
    store = Store(tmp_path)
    (attempt_id,) = store.begin_attempts([("item-1", "k")], "batch", "POST", "/v1/batch", "t1")
    store.end_attempts([(attempt_id, "info", 503, "HTTP 503")], "t2", retry_after=2.0)
    assert [a["retry_after"] for a in store.table("attempts")] == [None, 2.0]
    store.close()


async def test_a_media_row_holds_the_upload_not_a_request(make_device):
    device = make_device()
    note = await device.add_note("job-1", "n")
    photo = await device.take_photo("job-1", b"jpeg" * 100)
    rows = {row["item_id"]: row for row in device.store.outbox_items()}
    assert (rows[note["item_id"]]["method"], rows[note["item_id"]]["path"]) == ("POST", "/v1/jobs/job-1/notes")
    media = rows[photo["item_id"]]
    assert (media["method"], media["path"], media["body"]) == (None, None, None)  # the uploader speaks tus itself
    assert media["media_size"] == 400 and media["metadata"]["item_id"] == photo["item_id"]


def test_outbox_of_an_older_client_takes_media_rows_and_keeps_its_items(tmp_path: Path) -> None:
    import sqlite3

    old = sqlite3.connect(tmp_path / "device.sqlite3")
    old.execute("CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, item_id TEXT NOT NULL UNIQUE,"
                " kind TEXT NOT NULL, job_id TEXT, key TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,"
                " body TEXT, media_path TEXT, media_size INTEGER, metadata TEXT, upload_url TEXT,"
                " state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, last_outcome TEXT,"
                " last_error TEXT, result TEXT, created_at TEXT NOT NULL, finished_at TEXT)")
    old.execute("INSERT INTO outbox (item_id, kind, key, method, path, body, created_at)"
                " VALUES ('n1', 'note', 'k1', 'POST', '/v1/jobs/j/notes', '{\"text\": \"hi\"}', 't0')")
    old.commit()
    old.close()
    store = Store(tmp_path)
    intent = {"item_id": "p1", "kind": "photo", "job_id": "j", "content_hash": "h", "accepted_at": "t1",
              "key": "k2", "online_only": False}
    store.record_action(intent, {"item_id": "p1", "kind": "photo", "job_id": "j", "key": "k2", "created_at": "t1",
                                 "media_path": "/m", "media_size": 1, "metadata": {"item_id": "p1"}})
    assert [(row["item_id"], row["path"], row["body"]) for row in store.outbox_items()] == [
        ("n1", "/v1/jobs/j/notes", {"text": "hi"}), ("p1", None, None)]
    store.close()
