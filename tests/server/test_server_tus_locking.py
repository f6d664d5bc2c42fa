"""A DELETE or an expiry never pulls the part file from under a PATCH that is still streaming."""

from __future__ import annotations

import contextlib
import os
import socket
from typing import Callable

import httpx

from harness.server.running import InProcessServer
from harness.server.tus import part_path

from .support import TUS, Seed, create_upload, head_offset, open_patch, patch, wait_for

PHOTO = os.urandom(300_000)
SENT_FIRST = 50_000


def finish_and_read_status(sock: socket.socket, rest: bytes) -> int:
    """Send the rest of the PATCH body (the server may have stopped reading), then its status code."""
    with contextlib.suppress(OSError):
        sock.sendall(rest)
    answer = b""
    while b"\r\n" not in answer:
        block = sock.recv(4096)
        if not block:
            break
        answer += block
    return int(answer.split(b" ", 2)[1])


def interrupt_streaming_patch(seed: Seed, interrupt: Callable[[str], httpx.Response]) -> tuple[str, int, int]:
    """A PATCH is mid-body when ``interrupt`` runs: (location, the interruption's status, the PATCH's)."""
    location = create_upload(seed.tech, seed.job_id, PHOTO)
    with open_patch(seed.url, seed.tech_token, location, 0, len(PHOTO), PHOTO[:SENT_FIRST]) as sock:
        sock.settimeout(10)
        assert wait_for(lambda: head_offset(seed.tech, location) == SENT_FIRST)  # the PATCH is streaming
        interrupted = interrupt(location).status_code
        return location, interrupted, finish_and_read_status(sock, PHOTO[SENT_FIRST:])


def test_delete_while_a_patch_streams_stops_the_patch_first(seed: Seed, server: InProcessServer) -> None:
    location, deleted, patched = interrupt_streaming_patch(seed, lambda loc: seed.tech.delete(loc, headers=TUS))
    assert deleted == 204
    assert patched < 500
    assert seed.tech.head(location, headers=TUS).status_code == 404
    assert patch(seed.tech, location, SENT_FIRST, PHOTO[SENT_FIRST:]).status_code == 404
    assert not part_path(server.app.state.db, location.rsplit("/", 1)[1]).exists()
    assert [m for m in seed.ledger()["mutations"] if m["kind"] == "photo"] == []


def test_expiry_while_a_patch_streams_stops_the_patch_first(seed: Seed, server: InProcessServer) -> None:
    db = server.app.state.db

    def expire_then_head(location: str) -> httpx.Response:
        with db.write() as conn:  # the upload's time is up while its PATCH is still sending
            conn.execute("UPDATE uploads SET expires_at = 0 WHERE id = ?", (location.rsplit("/", 1)[1],))
        return seed.tech.head(location, headers=TUS)

    location, headed, patched = interrupt_streaming_patch(seed, expire_then_head)
    assert headed == 410
    assert patched < 500
    assert patch(seed.tech, location, SENT_FIRST, PHOTO[SENT_FIRST:]).status_code == 410
    assert seed.tech.head(location, headers=TUS).status_code == 410
    (upload,) = seed.ledger()["uploads"]
    assert upload["state"] == "expired" and not part_path(db, upload["id"]).exists()
    assert [m for m in seed.ledger()["mutations"] if m["kind"] == "photo"] == []


def test_another_technicians_delete_does_not_stop_the_owners_patch(seed: Seed) -> None:
    location = create_upload(seed.tech, seed.job_id, PHOTO)
    with open_patch(seed.url, seed.tech_token, location, 0, len(PHOTO), PHOTO[:SENT_FIRST]) as sock:
        sock.settimeout(10)
        assert wait_for(lambda: head_offset(seed.tech, location) == SENT_FIRST)
        assert seed.other_tech.delete(location, headers=TUS).status_code == 404
        assert finish_and_read_status(sock, PHOTO[SENT_FIRST:]) == 204
    assert head_offset(seed.tech, location) == len(PHOTO)
