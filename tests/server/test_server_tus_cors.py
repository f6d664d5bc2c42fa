"""CORS for browser tus clients: off by default, on for the origins given to the app or to `serve`."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from harness.server.app import create_app
from harness.server.running import READY_LINE

APP_ORIGIN = "http://field-app.test:8080"
PREFLIGHT = {"Origin": APP_ORIGIN, "Access-Control-Request-Method": "PATCH",
             "Access-Control-Request-Headers": "authorization,tus-resumable,upload-offset,content-type,"
                                               "upload-checksum,upload-metadata,upload-length,x-http-method-override"}
# What a tus client must read from an answer (tus-js-client reads Location, Upload-Offset, ...).
TUS_RESPONSE_HEADERS = {"location", "upload-offset", "upload-length", "upload-metadata", "upload-expires",
                        "tus-resumable", "tus-version", "tus-extension", "tus-max-size", "media-id"}


async def app_client(tmp_path: Path, **options: object) -> httpx.AsyncClient:
    app = create_app(tmp_path / "cors.db", **options)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://server.test")


@pytest.fixture
async def cors_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with await app_client(tmp_path, cors_origins=[APP_ORIGIN]) as c:
        yield c


async def test_preflight_from_an_allowed_origin_allows_the_tus_request(cors_client: httpx.AsyncClient) -> None:
    response = await cors_client.options("/v1/uploads/up_any", headers=PREFLIGHT)
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert {"PATCH", "POST", "HEAD", "DELETE"} <= {m.strip() for m in
                                                   response.headers["access-control-allow-methods"].split(",")}
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert set(PREFLIGHT["Access-Control-Request-Headers"].split(",")) <= allowed


async def test_answers_to_an_allowed_origin_expose_the_tus_headers(cors_client: httpx.AsyncClient) -> None:
    response = await cors_client.options("/v1/uploads", headers={"Origin": APP_ORIGIN})  # 401: no token, still CORS
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
    assert TUS_RESPONSE_HEADERS <= exposed


async def test_other_origins_get_no_cors_headers(cors_client: httpx.AsyncClient) -> None:
    response = await cors_client.options("/v1/uploads", headers={**PREFLIGHT, "Origin": "http://evil.test"})
    assert "access-control-allow-origin" not in response.headers


async def test_cors_is_off_by_default(tmp_path: Path) -> None:
    async with await app_client(tmp_path) as c:
        response = await c.options("/v1/uploads/up_any", headers=PREFLIGHT)
    assert "access-control-allow-origin" not in response.headers


@pytest.fixture
def served_with_cors(tmp_path: Path) -> Iterator[str]:
    """`offline-harness serve --cors-origin APP_ORIGIN` on a free port; yields its URL."""
    process = subprocess.Popen([sys.executable, "-m", "harness", "serve", "--port", "0", "--db",
                                str(tmp_path / "serve.db"), "--cors-origin", APP_ORIGIN],
                               stdout=subprocess.PIPE, text=True)
    output = process.stdout
    assert output is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(output.readline()), daemon=True)
    reader.start()
    reader.join(30)  # the ready line, or nothing if serve died or hangs
    try:
        found = READY_LINE.search(lines[0]) if lines else None
        assert found, f"serve printed no URL (exit code {process.poll()}): {lines}"
        yield found.group(1)
    finally:
        process.terminate()
        process.wait(10)


def test_serve_cors_origin_option_allows_that_origin(served_with_cors: str) -> None:
    response = httpx.options(f"{served_with_cors}/v1/uploads", headers=PREFLIGHT, timeout=10)
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == APP_ORIGIN


def test_serve_refuses_a_cors_origin_that_is_not_an_origin(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "harness", "serve", "--port", "0", "--db", str(tmp_path / "x.db"),
                             "--cors-origin", "field-app.test/path"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--cors-origin: invalid origin value: 'field-app.test/path'" in result.stderr
