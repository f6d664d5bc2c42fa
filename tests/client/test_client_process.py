"""The client as its own process: driven over the control channel, SIGKILLed, restarted intact."""

from __future__ import annotations

import base64
import hashlib

import pytest

from client_process import ClientProcess
from harness.client.control import ControlError

UNREACHABLE = "http://127.0.0.1:9"


def test_actions_over_the_control_channel_survive_sigkill_and_restart(tmp_path):
    client = ClientProcess(tmp_path / "store", UNREACHABLE)
    try:
        note = client.call("add_note", job_id="job-1", text="over the wire")
        photo = client.call("take_photo", job_id="job-1", data_b64=base64.b64encode(b"jpeg" * 500).decode())
        assert client.call("state")["pending"] == 2
    finally:
        client.kill()

    again = ClientProcess(tmp_path / "store", UNREACHABLE)
    try:
        history = again.call("history")
        assert [i["item_id"] for i in history["intents"]] == [note["item_id"], photo["item_id"]]
        assert [i["key"] for i in history["outbox_items"]] == [note["key"], photo["key"]]
        assert history["outbox"] == [note["item_id"], photo["item_id"]]
        assert history["intents"][1]["content_hash"] == hashlib.sha256(b"jpeg" * 500).hexdigest()
        again.call("wait_state", state="offline", timeout=10)
        assert again.call("state")["sync_state"] == "offline"
    finally:
        assert again.stop() == 0  # SIGTERM closes cleanly


def test_control_channel_answers_bad_requests_with_clear_errors(tmp_path):
    client = ClientProcess(tmp_path / "store", UNREACHABLE)
    try:
        with pytest.raises(ControlError, match="unknown_op: unknown op 'fly'"):
            client.call("fly")
        with pytest.raises(ControlError, match="bad_request: unknown status"):
            client.call("set_status", job_id="job-1", status="teleported")
        with pytest.raises(ControlError, match="bad_request: bad arguments for add_note"):
            client.call("add_note", job_id="job-1")
        with pytest.raises(ControlError, match="bad_request: data_b64 of take_photo is not base64"):
            client.call("take_photo", job_id="job-1", data_b64="not base64!")
        client.call("wait_state", state="offline", timeout=10)
        with pytest.raises(ControlError, match="offline: card payments need a connection"):
            client.call("charge_card", job_id="job-1", amount_cents=100, card_token="tok")
        assert client.call("ping")["device_id"]
    finally:
        client.kill()
