"""Slow clients are dropped and counted: a request head has a deadline, a body must keep progressing.

The timing rules are checked on uvicorn's real h11 protocol driven by a fake clock (no sleeps, so
no dependence on the machine's load); one real server with short limits shows the wiring, each
test waiting for the server to close the connection.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import h11
import pytest
import uvicorn
from uvicorn.server import ServerState

from harness.server.read_timeouts import (
    BODY,
    HEAD,
    BoundedH11Protocol,
    ReadTimeouts,
    SlowClientGuard,
)
from harness.server.running import InProcessServer

from .support import Seed, make_seed, wait_for

LIMITS = ReadTimeouts(header=20.0, body_idle=30.0, body_min_rate=100.0)
MIB = 1024 * 1024


class FakeTimer:
    def __init__(self, when: float, callback: Callable[[], None]):
        self.when, self.callback, self.cancelled = when, callback, False

    def cancel(self) -> None:
        self.cancelled = True


class FakeTask:
    def add_done_callback(self, callback: Callable[[Any], None]) -> None:
        pass


class FakeLoop:
    """The few loop methods the protocol uses, on a clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0
        self.timers: list[FakeTimer] = []

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[[], None]) -> FakeTimer:
        timer = FakeTimer(self.now + delay, callback)
        self.timers.append(timer)
        return timer

    def create_task(self, coroutine: Any, **_: Any) -> FakeTask:
        coroutine.close()  # the app never runs: the test plays its part (reading the body)
        return FakeTask()

    def advance(self, to: float) -> None:
        while True:
            due = [t for t in self.timers if not t.cancelled and t.when <= to]
            if not due:
                break
            timer = min(due, key=lambda t: t.when)
            self.timers.remove(timer)
            self.now = max(self.now, timer.when)
            timer.callback()
        self.now = to


class FakeTransport:
    def __init__(self) -> None:
        self.written = b""
        self.closed = False

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 40000) if name in ("peername", "sockname") else None

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class Connection:
    def __init__(self) -> None:
        self.loop, self.transport, self.guard = FakeLoop(), FakeTransport(), SlowClientGuard(LIMITS)
        config = uvicorn.Config(app=lambda *_: None, log_config=None)
        self.protocol = self.guard.protocol(config=config, server_state=ServerState(), app_state={}, _loop=self.loop)
        assert isinstance(self.protocol, BoundedH11Protocol)
        self.protocol.connection_made(self.transport)  # type: ignore[arg-type]

    def send(self, data: bytes, at: float) -> None:
        self.loop.advance(at)
        self.protocol.data_received(data)

    def app_reads_body(self) -> None:
        """What the app's ``receive()`` does: take the buffered body, let uvicorn read on."""
        self.protocol.cycle.body.clear()
        self.protocol.flow.resume_reading()

    def respond(self, at: float) -> None:
        """What the app's answer does on the wire, then uvicorn's end of the request."""
        self.loop.advance(at)
        self.protocol.conn.send(h11.Response(status_code=200, headers=[("content-length", "0")]))
        self.protocol.conn.send(h11.EndOfMessage())
        self.protocol.cycle.response_complete = True
        self.protocol.on_response_complete()

    @property
    def dropped(self) -> bool:
        return self.transport.closed

    @property
    def answered_408(self) -> bool:
        return self.transport.written.startswith(b"HTTP/1.1 408 Request Timeout\r\n")


def head(length: int) -> bytes:
    return (f"POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


def test_request_head_not_complete_by_the_header_limit_is_dropped_with_408() -> None:
    c = Connection()
    c.send(b"POST /v1/batch HTTP/1.1\r\n", at=1.0)
    c.send(b"Host: x\r\n", at=15.0)  # progress does not extend a head's deadline
    c.loop.advance(19.9)
    assert not c.dropped
    c.loop.advance(20.0)
    assert c.dropped and c.answered_408
    assert c.guard.dropped == {HEAD: 1, BODY: 0}


def test_connection_that_sends_nothing_is_closed_without_an_answer() -> None:
    c = Connection()
    c.loop.advance(20.0)
    assert c.dropped and c.transport.written == b""
    assert c.guard.dropped[HEAD] == 1


def test_idle_time_between_requests_is_left_to_keep_alive_and_a_next_head_is_timed_from_its_first_byte() -> None:
    c = Connection()
    c.send(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", at=0.0)
    c.respond(at=1.0)
    c.send(b"GET /health HTTP/1.1\r\n", at=4.0)  # within uvicorn's 5 s keep-alive
    c.loop.advance(4.0 + LIMITS.header - 0.1)
    assert not c.dropped
    c.loop.advance(4.0 + LIMITS.header)
    assert c.dropped and c.answered_408 and c.guard.dropped == {HEAD: 1, BODY: 0}


def test_connection_idle_after_a_response_is_closed_by_keep_alive_and_not_counted() -> None:
    c = Connection()
    c.send(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", at=0.0)
    c.respond(at=1.0)
    c.loop.advance(100.0)
    assert c.dropped and c.transport.written == b"" and c.guard.dropped == {HEAD: 0, BODY: 0}


def test_body_silent_for_the_idle_limit_is_dropped_with_408_and_the_app_sees_a_disconnect() -> None:
    c = Connection()
    c.send(head(1000) + b'{"items": [', at=0.0)
    c.app_reads_body()
    c.loop.advance(29.9)
    assert not c.dropped
    c.loop.advance(30.0)
    assert c.dropped and c.answered_408 and c.protocol.cycle.disconnected
    assert c.guard.dropped == {HEAD: 0, BODY: 1}


def test_4_mib_batch_over_a_2g_link_with_stalls_is_never_dropped() -> None:
    c = Connection()
    c.send(head(4 * MIB), at=0.0)
    chunk, at = 25 * 1024, 0.0  # 1 KB/s on average, in bursts 25 s apart (under the 30 s idle limit)
    for sent in range(0, 4 * MIB, chunk):
        at += 25.0
        c.send(b"x" * min(chunk, 4 * MIB - sent), at=at)
        c.app_reads_body()
        assert not c.dropped, f"dropped after {at:g} s"
    assert at > 60 * 60 and c.protocol.conn.their_state is h11.DONE  # over an hour, and the whole body is in
    c.loop.advance(at + 600)  # the app takes its time: nothing is being read, nothing is timed
    assert not c.dropped and c.guard.dropped == {HEAD: 0, BODY: 0}


def test_body_trickled_under_the_minimum_rate_is_dropped_though_never_idle() -> None:
    c = Connection()
    c.send(head(1000), at=0.0)
    at = 0.0
    while not c.dropped and at < 120:
        at += 20.0
        c.loop.advance(at - 0.001)
        if not c.dropped:
            c.send(b"x", at=at)
            c.app_reads_body()
    assert c.dropped and c.answered_408 and at <= 40.0
    assert c.guard.dropped[BODY] == 1


def test_time_the_server_stops_reading_is_not_held_against_the_client() -> None:
    c = Connection()
    c.send(head(MIB) + b"x" * (70 * 1024), at=0.0)  # more than uvicorn buffers: it stops reading
    assert c.protocol.flow.read_paused
    c.loop.advance(300.0)  # the app is busy (an upload lock, a slow disk) and reads nothing
    assert not c.dropped
    c.app_reads_body()
    c.loop.advance(300.0 + LIMITS.body_idle + 1)  # reading again, and now the client is silent
    assert c.dropped and c.guard.dropped[BODY] == 1


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    limits = ReadTimeouts(header=1.0, body_idle=1.0, body_min_rate=1.0)
    with InProcessServer(tmp_path_factory.mktemp("strict") / "server.db", admin_token="strict",
                         read_timeouts=limits) as running:
        yield running


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (the event these tests wait for)."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=30)  # a bound for a broken test, not a wait


def test_real_server_drops_a_client_stuck_in_its_request_head(strict_server: InProcessServer) -> None:
    before = dict(strict_server.slow_clients.dropped)
    with connect(strict_server.url) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout") and b'"request_timeout"' in answer
    assert strict_server.slow_clients.dropped == {**before, HEAD: before[HEAD] + 1}


def test_real_server_drops_a_stalled_batch_body_and_applies_nothing(strict_server: InProcessServer) -> None:
    seed: Seed = make_seed(strict_server.url, strict_server.admin_token)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    before = dict(strict_server.slow_clients.dropped)
    try:
        with connect(strict_server.url) as sock:
            sock.sendall(f"POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {seed.tech_token}\r\n"
                         "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"items\": [".encode())
            answer = read_until_closed(sock)
        assert wait_for(lambda: not strict_server.server_state.tasks)  # the route has seen the disconnect
    finally:
        logging.getLogger().removeHandler(handler)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout")
    assert strict_server.slow_clients.dropped == {**before, BODY: before[BODY] + 1}
    assert seed.ledger()["mutations"] == []
    assert [r.getMessage() for r in records if r.exc_info] == []
    for c in (seed.admin, seed.office, seed.tech, seed.other_tech):
        c.close()
