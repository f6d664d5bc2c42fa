"""Real tus clients against the reference server through a link cut again and again.

tuspy (Python) and tus-js-client (Node.js, tests/server/tus_js) upload a photo through the embedded
Toxiproxy with a ``cut_after`` condition: every connection dies after CUT_AFTER bytes, so the
photo only arrives if each client resumes from the server's offset. The stored bytes must be the
source's: sha256 in the ledger and of the media content.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tusclient.client import TusClient

from harness.network.control import Link, network_backend
from harness.server.running import InProcessServer
from harness.testing import require_real

from .support import Seed

SIZE = 1024 * 1024
CUT_AFTER = 128 * 1024  # each connection carries at most this much of the upload: 8+ resumes
TUS_JS = Path(__file__).with_name("tus_js")
UPLOAD_TIMEOUT_S = 120


@pytest.fixture
async def cut_link(server: InProcessServer) -> AsyncIterator[Link]:
    async with network_backend("embedded") as net:
        link = await net.proxy("tus", upstream=server.url.removeprefix("http://"))
        await link.cut_after(CUT_AFTER, stream="upstream").apply()
        yield link


def photo_file(tmp_path: Path, size: int) -> tuple[Path, bytes]:
    data = os.urandom(size)
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    return path, data


def photo_metadata(seed: Seed, data: bytes) -> dict[str, str]:
    return {"item_id": str(uuid.uuid4()), "kind": "photo", "job_id": seed.job_id, "filename": "photo.jpg",
            "sha256": hashlib.sha256(data).hexdigest()}


def assert_stored_once(seed: Seed, item_id: str, data: bytes) -> None:
    (record,) = [m for m in seed.ledger()["mutations"] if m["item_id"] == item_id]
    assert record["kind"] == "photo" and record["content_hash"] == hashlib.sha256(data).hexdigest()
    (photo,) = seed.tech.get(f"/v1/jobs/{seed.job_id}").json()["photos"]
    assert hashlib.sha256(seed.tech.get(photo["url"]).content).hexdigest() == hashlib.sha256(data).hexdigest()


async def test_tuspy_resumes_through_a_cut_link_to_identical_bytes(seed: Seed, cut_link: Link,
                                                                   tmp_path: Path) -> None:
    path, data = photo_file(tmp_path, SIZE)
    meta = photo_metadata(seed, data)
    uploader = TusClient(f"{cut_link.base_url}/v1/uploads",
                         headers={"Authorization": f"Bearer {seed.tech_token}"}).uploader(
        str(path), metadata=meta, retries=40, retry_delay=0)
    resumed_at: list[int] = []
    ask_offset = uploader.get_offset

    def get_offset() -> int:  # tuspy's HEAD after a failed PATCH
        resumed_at.append(ask_offset())
        return resumed_at[-1]

    uploader.get_offset = get_offset  # type: ignore[method-assign]
    await asyncio.wait_for(asyncio.to_thread(uploader.upload), UPLOAD_TIMEOUT_S)
    assert uploader.offset == SIZE
    assert len(resumed_at) >= SIZE // CUT_AFTER - 1 and max(resumed_at) > 0, resumed_at
    assert_stored_once(seed, meta["item_id"], data)


def tus_js_command() -> list[str]:
    node = shutil.which("node")
    if node is None:
        require_real("Node.js (`node`)", "install Node.js >= 18 (Debian: `apt-get install nodejs npm`)")
    if not (TUS_JS / "node_modules" / "tus-js-client").is_dir():
        require_real("tus-js-client", "run `npm ci --prefix tests/server/tus_js`")
    return [str(node), str(TUS_JS / "upload.js")]


async def run_tus_js(seed: Seed, endpoint: str, path: Path, metadata: dict[str, str],
                     override_patch: bool = False) -> dict[str, Any]:
    options = {"endpoint": endpoint, "token": seed.tech_token, "path": str(path), "metadata": metadata,
               "overridePatchMethod": override_patch}
    process = await asyncio.create_subprocess_exec(*tus_js_command(), json.dumps(options),
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(process.communicate(), UPLOAD_TIMEOUT_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, (out.decode(), err.decode())
    return json.loads(out.decode().strip().splitlines()[-1])


@pytest.mark.parametrize("override_patch", [False, True], ids=["PATCH", "POST+X-HTTP-Method-Override"])
async def test_tus_js_client_resumes_through_a_cut_link_to_identical_bytes(
        seed: Seed, cut_link: Link, tmp_path: Path, override_patch: bool) -> None:
    path, data = photo_file(tmp_path, SIZE)
    meta = photo_metadata(seed, data)
    report = await run_tus_js(seed, f"{cut_link.base_url}/v1/uploads", path, meta, override_patch)
    assert report["bytes"] == SIZE and report["url"].startswith(cut_link.base_url)
    assert report["heads"] >= SIZE // CUT_AFTER - 1 and max(report["patchOffsets"]) > 0, report
    assert_stored_once(seed, meta["item_id"], data)


async def test_tus_js_client_uploads_an_empty_file_to_one_record(seed: Seed, tmp_path: Path) -> None:
    path, data = photo_file(tmp_path, 0)
    meta = photo_metadata(seed, data)
    report = await run_tus_js(seed, f"{seed.url}/v1/uploads", path, meta)
    assert report["bytes"] == 0 and report["patchOffsets"] == []
    assert_stored_once(seed, meta["item_id"], data)
