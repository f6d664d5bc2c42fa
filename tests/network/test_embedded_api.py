"""The embedded Toxiproxy's HTTP API: defaults, every route, and 4xx JSON errors for bad input."""

from __future__ import annotations

import socket

import pytest
from embedded_helpers import create_proxy, embedded


async def test_version_and_empty_proxy_list() -> None:
    async with embedded() as (_, api):
        version = await api.get("/version")
        assert version.status_code == 200 and set(version.json()) == {"version"}
        assert (await api.get("/proxies")).json() == {}


async def test_created_proxy_and_toxic_have_the_real_servers_fields_and_defaults() -> None:
    async with embedded() as (_, api):
        await create_proxy(api, "db", 9)
        proxy = (await api.get("/proxies/db")).json()
        assert list(proxy) == ["name", "listen", "upstream", "enabled", "Logger", "toxics"]
        assert proxy["enabled"] is True and proxy["toxics"] == [] and proxy["upstream"] == "127.0.0.1:9"
        toxic = (await api.post("/proxies/db/toxics", json={"type": "latency"})).json()
        assert toxic == {
            "attributes": {"latency": 0, "jitter": 0},
            "name": "latency_downstream",
            "type": "latency",
            "stream": "downstream",
            "toxicity": 1,
        }
        assert (await api.get("/proxies/db/toxics")).json() == [toxic]
        assert (await api.get("/proxies/db/toxics/latency_downstream")).json() == toxic


async def test_update_keeps_unsent_fields_and_accepts_post_and_patch() -> None:
    async with embedded() as (_, api):
        await create_proxy(api, "db", 9)
        await api.post("/proxies/db/toxics", json={"type": "latency", "attributes": {"latency": 5, "jitter": 1}})
        patched = await api.patch("/proxies/db/toxics/latency_downstream", json={"attributes": {"jitter": 2}})
        assert patched.json()["attributes"] == {"latency": 5, "jitter": 2}
        posted = await api.post("/proxies/db/toxics/latency_downstream", json={"toxicity": 0.5})
        assert posted.json()["toxicity"] == 0.5 and posted.json()["attributes"]["jitter"] == 2
        disabled = await api.patch("/proxies/db", json={"enabled": False})
        assert disabled.json()["enabled"] is False and disabled.json()["upstream"] == "127.0.0.1:9"


async def test_populate_creates_and_reset_removes_toxics_and_reenables() -> None:
    async with embedded() as (_, api):
        body = [
            {"name": "a", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9"},
            {"name": "b", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9", "enabled": False},
        ]
        populated = await api.post("/populate", json=body)
        assert populated.status_code == 201
        assert [p["enabled"] for p in populated.json()["proxies"]] == [True, False]
        await api.post("/proxies/a/toxics", json={"type": "timeout"})
        assert (await api.post("/reset")).status_code == 204
        proxies = (await api.get("/proxies")).json()
        assert proxies["a"]["toxics"] == [] and proxies["b"]["enabled"] is True


BAD_REQUESTS = [
    (
        "POST",
        "/proxies",
        b"{bad",
        400,
        "bad request body: invalid character 'b' looking for beginning of object key string",
    ),
    ("POST", "/proxies", b"", 400, "bad request body: EOF"),
    ("POST", "/proxies", b'{"upstream": "x"}', 400, "missing required field: name"),
    ("POST", "/proxies", b'{"name": "n"}', 400, "missing required field: upstream"),
    (
        "POST",
        "/proxies",
        b'{"name": 5, "upstream": "x"}',
        400,
        "bad request body: json: cannot unmarshal number into Go struct field Proxy.name of type string",
    ),
    ("POST", "/proxies", b'{"name": "db", "upstream": "x"}', 409, "proxy already exists"),
    ("GET", "/proxies/nope", b"", 404, "proxy not found"),
    ("DELETE", "/proxies/nope", b"", 404, "proxy not found"),
    ("POST", "/proxies/nope/toxics", b'{"type": "latency"}', 404, "proxy not found"),
    ("POST", "/proxies/db/toxics", b'{"type": "nope"}', 400, "invalid toxic type"),
    (
        "POST",
        "/proxies/db/toxics",
        b'{"type": "latency", "stream": "sideways"}',
        400,
        "stream was invalid, can be either upstream or downstream",
    ),
    (
        "POST",
        "/proxies/db/toxics",
        b'{"type": "latency", "attributes": {"latency": 1.5}}',
        400,
        "bad request body: json: cannot unmarshal number 1.5 into Go struct field"
        " LatencyToxic.attributes.latency of type int64",
    ),
    (
        "POST",
        "/proxies/db/toxics",
        b'{"type": "latency", "toxicity": "x"}',
        400,
        "bad request body: json: cannot unmarshal string into Go struct field ToxicWrapper.toxicity of type float32",
    ),
    ("POST", "/proxies/db/toxics", b'{"type": "latency", "name": "taken"}', 409, "toxic already exists"),
    ("GET", "/proxies/db/toxics/nope", b"", 404, "toxic not found"),
    ("PATCH", "/proxies/db/toxics/nope", b"{}", 404, "toxic not found"),
    ("DELETE", "/proxies/db/toxics/nope", b"", 404, "toxic not found"),
    (
        "PATCH",
        "/proxies/db/toxics/taken",
        b'{"toxicity": "x"}',
        400,
        "bad request body: json: cannot unmarshal string into Go struct field .toxicity of type float32",
    ),
    ("POST", "/populate", b"{}", 400, None),
    ("POST", "/populate", b'[{"name": "p"}]', 400, "missing required field: upstream at proxy 1"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "message"), BAD_REQUESTS)
async def test_bad_input_gets_a_4xx_with_a_json_error(
    method: str, path: str, body: bytes, status: int, message: str | None
) -> None:
    async with embedded() as (_, api):
        await create_proxy(api, "db", 9)
        await api.post("/proxies/db/toxics", json={"type": "latency", "name": "taken"})
        response = await api.request(method, path, content=body)
        assert response.status_code == status
        error = response.json()
        assert error["status"] == status and isinstance(error["error"], str)
        if message is not None:
            assert error["error"] == message


async def test_listen_port_in_use_is_reported_with_the_go_message() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        async with embedded() as (_, api):
            response = await api.post(
                "/proxies", json={"name": "x", "upstream": "127.0.0.1:9", "listen": f"127.0.0.1:{port}"}
            )
            # The real server answers 500 here; ours 409 (a DEVIATION in test_differential.py).
            assert response.status_code == 409
            assert response.json() == {
                "error": f"listen tcp 127.0.0.1:{port}: bind: address already in use",
                "status": 409,
            }


async def test_browser_user_agents_are_refused_with_403() -> None:
    async with embedded() as (_, api):
        response = await api.get("/version", headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"})
        assert response.status_code == 403 and response.text == "User agent not allowed\n"


async def test_unknown_route_is_404_and_wrong_method_is_405() -> None:
    async with embedded() as (_, api):
        assert (await api.get("/nothing")).status_code == 404
        assert (await api.put("/proxies")).status_code == 405
        assert (await api.post("/version")).status_code == 405
