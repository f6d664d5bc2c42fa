"""Differential test: the same API calls and toxic measurements on the real `toxiproxy-server` and
on the embedded server, which must agree.

Agreement means: the same status code and Content-Type for every call, and the same JSON (keys,
types and values) once each proxy's random listen port is normalised; toxic measurements agree
within TIMING_TOLERANCE. The deliberate differences are listed in DEVIATIONS and each is checked
explicitly (test_deviation_*, below and in test_differential_busy.py).
"""

from __future__ import annotations

import re
import selectors
import socket
import time
from typing import Any

import httpx
import pytest
from differential_helpers import (
    DEVIATIONS,
    TIMING_TOLERANCE,
    WAIT,
    Upstream,
    connect,
    echo,
    embedded_server,
    on_both,
    on_both_until_they_agree,
    proxied,
    read_until_closed,
    real_server,
    round_trip,
    send_then_wait,
)

pytestmark = pytest.mark.real_toxiproxy

CLOSED_UPSTREAM = "127.0.0.1:9"  # nothing listens there; API-only proxies never dial it


# The API sequence ------------------------------------------------------------------------------------
def api_calls(busy_port: int) -> list[tuple[str, str, bytes, dict[str, str]]]:
    """(method, path, body, extra headers): every route, valid and invalid."""
    proxy = f'{{"name": "db", "listen": "127.0.0.1:0", "upstream": "{CLOSED_UPSTREAM}"}}'.encode()
    browser = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"}
    return [
        ("GET", "/version", b"", {}),
        ("GET", "/proxies", b"", {}),
        ("POST", "/proxies", proxy, {}),
        ("POST", "/proxies", proxy, {}),  # duplicate name
        ("POST", "/proxies", b"{bad", {}),
        ("POST", "/proxies", b"", {}),
        ("POST", "/proxies", b'{"name": "x"', {}),  # truncated
        ("POST", "/proxies", b'{"upstream": "x"}', {}),
        ("POST", "/proxies", b'{"name": "x"}', {}),
        ("POST", "/proxies", b'{"name": 5, "upstream": "x"}', {}),
        ("POST", "/proxies", b"[1]", {}),
        ("POST", "/proxies", f'{{"name": "busy", "upstream": "x", "listen": "127.0.0.1:{busy_port}"}}'.encode(), {}),
        ("POST", "/proxies", b'{"name": "bad", "upstream": "x", "listen": "nonsense"}', {}),
        ("POST", "/proxies", b'{"name": "bad", "upstream": "x", "listen": "127.0.0.1:99999"}', {}),
        ("POST", "/proxies", b'{"name": "bad", "upstream": "x", "listen": "127.0.0.1:abc"}', {}),
        ("POST", "/proxies", b'{"name": "bad", "upstream": "x", "listen": "a:b:c"}', {}),
        ("POST", "/proxies", b'{"name": "lh", "upstream": "x", "listen": "localhost:0"}', {}),
        (
            "POST",
            "/proxies",
            b'{"NAME": "off", "UpStream": "127.0.0.1:9", "listen": "127.0.0.1:0", "enabled": false}',
            {},
        ),
        ("GET", "/proxies/db", b"", {}),
        ("GET", "/proxies/nope", b"", {}),
        ("POST", "/proxies/db/toxics", b'{"type": "latency", "attributes": {"latency": 10}}', {}),
        ("POST", "/proxies/db/toxics", b'{"type": "latency"}', {}),  # duplicate default name
        ("POST", "/proxies/db/toxics", b'{"type": "nope"}', {}),
        ("POST", "/proxies/db/toxics", b"null", {}),
        ("POST", "/proxies/db/toxics", b'{"type": "latency", "stream": "sideways"}', {}),
        ("POST", "/proxies/db/toxics", b'{"type": "bandwidth", "stream": "UPSTREAM", "toxicity": 0.3}', {}),
        ("POST", "/proxies/db/toxics", b'{"type": "slicer", "name": "s", "attributes": {"average_size": 1.5}}', {}),
        ("POST", "/proxies/db/toxics", b'{"type": "latency", "name": "t", "toxicity": "x"}', {}),
        ("POST", "/proxies/db/toxics", b'{"type": "latency", "name": "a", "attributes": 5}', {}),
        ("POST", "/proxies/nope/toxics", b'{"type": "latency"}', {}),
        (
            "POST",
            "/proxies/db/toxics",
            b'{"type": "limit_data", "name": "lim", "attributes": {"bytes": 7, "extra": 1}}',
            {},
        ),
        ("GET", "/proxies/db/toxics", b"", {}),
        ("GET", "/proxies/db/toxics/latency_downstream", b"", {}),
        ("GET", "/proxies/db/toxics/nope", b"", {}),
        ("PATCH", "/proxies/db/toxics/latency_downstream", b'{"attributes": {"jitter": 3}}', {}),
        ("POST", "/proxies/db/toxics/latency_downstream", b'{"attributes": {"latency": "s", "jitter": 9}}', {}),
        ("GET", "/proxies/db/toxics/latency_downstream", b"", {}),  # the jitter before the error stuck
        ("PATCH", "/proxies/db/toxics/latency_downstream", b'{"toxicity": 0.5, "type": "x", "name": "y"}', {}),
        ("PATCH", "/proxies/db/toxics/nope", b"{}", {}),
        ("PATCH", "/proxies/db/toxics/latency_downstream", b'{"toxicity": "x"}', {}),
        ("DELETE", "/proxies/db/toxics/lim", b"", {}),
        ("DELETE", "/proxies/db/toxics/lim", b"", {}),
        ("PATCH", "/proxies/off", b'{"enabled": true}', {}),
        ("POST", "/proxies/off", b'{"enabled": false}', {}),
        ("PATCH", "/proxies/off", b'{"listen": "garbage"}', {}),
        ("PATCH", "/proxies/nope", b"{}", {}),
        ("PATCH", "/proxies/db", b"{bad", {}),
        ("PUT", "/proxies/db", b"", {}),
        ("POST", "/version", b"", {}),
        ("GET", "/nothing", b"", {}),
        ("GET", "/version", b"", browser),
        (
            "POST",
            "/populate",
            f'[{{"name": "p1", "listen": "127.0.0.1:0", "upstream": "{CLOSED_UPSTREAM}"}},'
            f' {{"name": "p2", "listen": "127.0.0.1:0", "upstream": "x", "enabled": false}}]'.encode(),
            {},
        ),
        ("POST", "/populate", b"{}", {}),
        ("POST", "/populate", b"", {}),
        ("POST", "/populate", b"[]", {}),
        ("POST", "/populate", b'[{"name": "p3"}]', {}),
        ("POST", "/populate", b'[{"name": 5}]', {}),
        ("POST", "/reset", b"", {}),
        ("GET", "/proxies", b"", {}),
        ("DELETE", "/proxies/db", b"", {}),
        ("DELETE", "/proxies/db", b"", {}),
        ("GET", "/proxies", b"", {}),
    ]


def _normalise(value: Any) -> Any:
    """Replace the random port of every proxy's listen address."""
    if isinstance(value, dict):
        return {
            key: re.sub(r":\d+$", ":PORT", item) if key == "listen" and isinstance(item, str) else _normalise(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_normalise(item) for item in value]
    return value


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__


def _answer(client: httpx.Client, method: str, path: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    response = client.request(method, path, content=body, headers={"User-Agent": "differential", **headers})
    try:
        payload: Any = response.json()
    except ValueError:
        payload = response.text
    return {
        "status": response.status_code,
        "content_type": response.headers.get("content-type"),
        "trailing_newline": response.text.endswith("\n"),
        "body": _normalise(payload),
    }


def test_api_sequence_gives_the_same_answers(servers: dict[str, httpx.Client]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        calls = api_calls(busy.getsockname()[1])
        assert len(calls) >= 20
        for method, path, body, headers in calls:
            real = _answer(servers["real"], method, path, body, headers)
            ours = _answer(servers["embedded"], method, path, body, headers)
            call = f"{method} {path} {body[:60]!r}"
            if path == "/version" and real["status"] == 200:
                assert _shape(ours["body"]) == _shape(real["body"]) == {"version": "str"}, call
                ours["body"] = real["body"]  # DEVIATIONS["version"], checked below
            if real["status"] == 500:  # the real server's only 500s are listen errors
                assert ours["status"] in (400, 409), call  # DEVIATIONS["listen_error"], checked below
                ours = _as_real_listen_error(ours)
            assert _shape(ours["body"]) == _shape(real["body"]), call
            assert ours == real, call


def _as_real_listen_error(answer: dict[str, Any]) -> dict[str, Any]:
    """Our 409/400 listen error as the real server words it (500), for comparing everything else."""
    body = answer["body"]
    if isinstance(body, dict):
        body = {**body, "status": 500}
    return {**answer, "status": 500, "body": body}


def test_deviation_listen_in_use_is_409_here_and_500_there(servers: dict[str, httpx.Client]) -> None:
    assert "listen_error" in DEVIATIONS
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        body = {"name": "busy", "upstream": CLOSED_UPSTREAM, "listen": f"127.0.0.1:{port}"}
        real = servers["real"].post("/proxies", json=body)
        ours = servers["embedded"].post("/proxies", json=body)
    message = f"listen tcp 127.0.0.1:{port}: bind: address already in use"
    assert real.status_code == 500, "the real server no longer answers 500: revisit DEVIATIONS['listen_error']"
    assert real.json() == {"error": message, "status": 500}
    assert ours.status_code == 409 and ours.json() == {"error": message, "status": 409}


def test_deviation_version_reports_the_release_followed(servers: dict[str, httpx.Client]) -> None:
    assert "version" in DEVIATIONS
    assert servers["embedded"].get("/version").json() == {"version": "2.12.0"}
    assert isinstance(servers["real"].get("/version").json()["version"], str)


# Traffic through both ---------------------------------------------------------------------------
def _answer_once_and_close(conn: socket.socket) -> None:
    conn.sendall(conn.recv(100))


def test_latency_toxic_adds_the_same_delay(servers: dict[str, httpx.Client]) -> None:
    upstream = Upstream(echo)

    def measure(client: httpx.Client) -> float:
        with proxied(client, "lat", upstream, [{"type": "latency", "attributes": {"latency": 100}}]) as port:
            with connect(port) as sock:
                return sorted(round_trip(sock) for _ in range(5))[2]

    real, ours = on_both_until_they_agree(servers, measure, lambda a, b: abs(a - b) < TIMING_TOLERANCE, min)
    upstream.close()
    assert real >= 0.09 and ours >= 0.09
    assert abs(real - ours) < TIMING_TOLERANCE, (real, ours)


def test_bandwidth_toxic_gives_the_same_rate(servers: dict[str, httpx.Client]) -> None:
    payload = b"b" * 100_000
    upstream = Upstream(send_then_wait(payload))

    def measure(client: httpx.Client) -> float:
        with proxied(client, "bw", upstream, [{"type": "bandwidth", "attributes": {"rate": 200}}]) as port:
            with connect(port) as sock:
                start, got = time.perf_counter(), 0
                while got < len(payload):
                    got += len(sock.recv(65536))
                return time.perf_counter() - start

    real, ours = on_both_until_they_agree(servers, measure, lambda a, b: abs(a - b) < 2 * TIMING_TOLERANCE, min)
    upstream.close()
    assert real >= 0.4 and ours >= 0.4  # 100 KB at 200 KB/s = 0.5 s
    assert abs(real - ours) < 2 * TIMING_TOLERANCE, (real, ours)


@pytest.mark.parametrize(
    ("toxic", "sends", "expect_data", "expect_end", "min_seconds"),
    [
        ({"type": "limit_data", "attributes": {"bytes": 3}}, b"", b"abc", "eof", 0.0),
        ({"type": "timeout", "stream": "upstream", "attributes": {"timeout": 200}}, b"lost", b"", "eof", 0.15),
        ({"type": "reset_peer", "stream": "upstream", "attributes": {"timeout": 100}}, b"x", b"", "reset", 0.09),
        ({"type": "slow_close", "attributes": {"delay": 200}}, b"", b"abcdef", "eof", 0.15),
        (
            {"type": "slicer", "attributes": {"average_size": 2, "size_variation": 1, "delay": 100}},
            b"",
            b"abcdef",
            "eof",
            0.0,
        ),
    ],
)
def test_closing_toxics_end_the_connection_the_same_way(
    servers: dict[str, httpx.Client],
    toxic: dict[str, Any],
    sends: bytes,
    expect_data: bytes,
    expect_end: str,
    min_seconds: float,
) -> None:
    def six_bytes_then_close(conn: socket.socket) -> None:
        if not sends:
            conn.sendall(b"abcdef")
        else:
            conn.recv(1)

    upstream = Upstream(six_bytes_then_close)

    def measure(client: httpx.Client) -> tuple[bytes, str, float]:
        with proxied(client, "close", upstream, [toxic]) as port, connect(port) as sock:
            start = time.perf_counter()
            if sends:
                sock.sendall(sends)
            data, end = read_until_closed(sock)
            return data, end, time.perf_counter() - start

    def agree(real: tuple[bytes, str, float], ours: tuple[bytes, str, float]) -> bool:
        return abs(real[2] - ours[2]) < TIMING_TOLERANCE + 0.1 * max(real[2], ours[2])

    def fastest(one: tuple[bytes, str, float], other: tuple[bytes, str, float]) -> tuple[bytes, str, float]:
        assert other[:2] == one[:2], (one, other)
        return one if one[2] <= other[2] else other

    real, ours = on_both_until_they_agree(servers, measure, agree, fastest)
    upstream.close()
    for data, end, seconds in (real, ours):
        assert (data, end) == (expect_data, expect_end), (real, ours)
        assert seconds >= min_seconds
    assert agree(real, ours), (real, ours)


def test_toxic_added_to_an_open_connection_applies_on_both(servers: dict[str, httpx.Client]) -> None:
    upstream = Upstream(echo)

    def measure(client: httpx.Client) -> float:
        with proxied(client, "live", upstream, []) as port, connect(port) as sock:
            round_trip(sock)  # the connection is open, without toxics
            client.post("/proxies/live/toxics", json={"type": "latency", "attributes": {"latency": 200}})
            return round_trip(sock)

    real, ours = on_both(servers, measure)
    upstream.close()
    assert real >= 0.18 and ours >= 0.18, (real, ours)


def test_removing_a_timeout_toxic_closes_its_connections_on_both(servers: dict[str, httpx.Client]) -> None:
    """The timeout toxic's clean-up closes the connections it held (toxics/timeout.go)."""
    upstream = Upstream(echo)

    def measure(client: httpx.Client) -> tuple[bytes, str]:
        toxic = {"type": "timeout", "stream": "upstream", "attributes": {"timeout": 0}}
        with proxied(client, "held", upstream, [toxic]) as port, connect(port) as sock:
            sock.sendall(b"swallowed")
            time.sleep(0.1)
            assert client.delete("/proxies/held/toxics/timeout_upstream").status_code == 204
            return read_until_closed(sock)

    real, ours = on_both(servers, measure)
    upstream.close()
    assert real == ours == (b"", "eof")


def test_disabling_a_proxy_drops_connections_on_both(servers: dict[str, httpx.Client]) -> None:
    upstream = Upstream(echo)

    def measure(client: httpx.Client) -> tuple[bool, bool]:
        with proxied(client, "off", upstream, []) as port, connect(port) as sock:
            round_trip(sock)
            client.patch("/proxies/off", json={"enabled": False})
            dropped = read_until_closed(sock)[0] == b""
            try:
                connect(port).close()
                refused = False
            except OSError:
                refused = True
            return dropped, refused

    real, ours = on_both(servers, measure)
    upstream.close()
    assert real == ours == (True, True)


# Deviations ---------------------------------------------------------------------------------------
COIN_LATENCY_MS = 1000  # an echo without it takes ~1 ms: half of it tells the two apart under any load


def _slowed(url: str, connections: int = 16) -> list[bool]:
    upstream = Upstream(echo)
    toxic = {"type": "latency", "toxicity": 0.5, "attributes": {"latency": COIN_LATENCY_MS}}
    with httpx.Client(base_url=url, timeout=WAIT) as client, proxied(client, "coin", upstream, [toxic]) as port:
        socks = [connect(port) for _ in range(connections)]  # accepted, and so seeded, in this order
        sent = time.perf_counter()
        for sock in socks:
            sock.sendall(b"?")
        arrived = _arrival_times(socks, sent)
        for sock in socks:
            sock.close()
    upstream.close()
    return [t >= COIN_LATENCY_MS / 2000 for t in arrived]


def _arrival_times(socks: list[socket.socket], since: float) -> list[float]:
    """Seconds from `since` until each socket had a byte to read (watched together)."""
    arrived: dict[socket.socket, float] = {}
    with selectors.DefaultSelector() as selector:
        for sock in socks:
            selector.register(sock, selectors.EVENT_READ)
        deadline = since + WAIT
        while len(arrived) < len(socks) and time.perf_counter() < deadline:
            for key, _ in selector.select(timeout=WAIT):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                arrived[sock] = time.perf_counter() - since
                sock.recv(1)
                selector.unregister(sock)
    return [arrived.get(sock, WAIT) for sock in socks]


def test_deviation_seed_makes_toxicity_draws_reproducible_only_in_ours(real_toxiproxy_bin: str) -> None:
    assert "seed" in DEVIATIONS
    with embedded_server(seed=11) as url:
        ours_first = _slowed(url)
    with embedded_server(seed=11) as url:
        ours_again = _slowed(url)
    assert ours_first == ours_again and any(ours_first) and not all(ours_first)
    with real_server(real_toxiproxy_bin, "-seed", "11") as url:
        real_first = _slowed(url)
    with real_server(real_toxiproxy_bin, "-seed", "11") as url:
        real_again = _slowed(url)
    # 16 fair coins: the real server repeats its draws by chance with probability 1/65536.
    assert real_first != real_again, "the real server's -seed now works: drop DEVIATIONS['seed']"


def test_deviation_toxicity_zero_reset_peer_leaves_connections_alone(servers: dict[str, httpx.Client]) -> None:
    assert "toxicity_zero" in DEVIATIONS
    upstream = Upstream(_answer_once_and_close)

    def measure(client: httpx.Client) -> str:
        toxic = {"type": "reset_peer", "toxicity": 0, "attributes": {"timeout": 0}}
        with proxied(client, "zero", upstream, [toxic]) as port, connect(port) as sock:
            sock.sendall(b"hello")
            time.sleep(0.2)  # the upstream has answered and closed by now
            return read_until_closed(sock)[1]

    real, ours = on_both(servers, measure)
    upstream.close()
    assert ours == "eof"
    assert real == "reset", "the real server fixed #603: drop DEVIATIONS['toxicity_zero']"


def test_deviation_reset_peer_added_to_an_open_connection_resets_only_in_ours(
    servers: dict[str, httpx.Client],
) -> None:
    assert "live_reset_peer" in DEVIATIONS
    upstream = Upstream(echo)

    def measure(client: httpx.Client) -> tuple[bytes, str]:
        toxic = {"type": "reset_peer", "stream": "upstream", "attributes": {"timeout": 50}}
        with proxied(client, "live_rst", upstream, []) as port, connect(port) as sock:
            round_trip(sock)  # the links started without the toxic
            assert client.post("/proxies/live_rst/toxics", json=toxic).status_code == 200
            sock.sendall(b"x")
            return read_until_closed(sock)

    real, ours = on_both(servers, measure)
    upstream.close()
    assert ours == (b"", "reset")
    assert real == (b"", "eof"), "the real server now resets live connections: drop DEVIATIONS['live_reset_peer']"
