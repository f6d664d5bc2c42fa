"""Benchmark: the reference client's resumable uploads, as ratios to the physical limit.

  * wire bytes for a 5 MB photo over a link cut every 1 MB (real toxiproxy-server, `limit_data`
    toxic: every connection dies after 1,000,000 bytes), divided by the photo's size; target <= 1.1;
  * memory (RSS) the client adds while uploading a 200 MB file, divided by the 30 MB target; the
    file goes to a minimal tus sink (the reference server caps uploads at 50 MiB), so only the
    client's streaming is measured.
Run: `python bench/bench_client_upload.py [--photo-mb 5] [--big-mb 200]`. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import tempfile
import time
from pathlib import Path

from bench_client_common import server_and_proxy, sync_until_idle
from fastapi import FastAPI, Request, Response

from harness.checker import check
from harness.client import Device
from harness.client.retry import RetryPolicy

MB = 1_000_000
FAST = RetryPolicy(base=0.05, cap=0.5, probe_interval=0.05, probe_cap=0.2)


async def cut_link_upload(workdir: Path, photo_mb: int) -> None:
    async with server_and_proxy(workdir) as (world, proxy):
        await proxy.link.cut_after(1 * MB, stream="upstream").apply()
        device = Device(workdir / "device", proxy.url, world.tech_token, seed=1, policy=FAST)
        photo = os.urandom(photo_mb * MB)
        item = await device.take_photo(world.job_ids[0], photo)
        elapsed, history = await sync_until_idle(device, timeout=300)
        await device.close()
        per_item = history["counters"]["per_item"][item["item_id"]]
        attempts = [a for a in history["attempts"] if a["item_id"] == item["item_id"]]
        verdict = check(history, world.ledger(), proxy.timeline)
        ratio = per_item["bytes_sent"] / len(photo)
        print(f"upload over a link cut every 1 MB: {photo_mb} MB photo, {len(attempts)} requests"
              f" ({sum(a['outcome'] == 'info' for a in attempts)} cut), {elapsed:.1f} s, verdict"
              f" {'pass' if verdict.passed else verdict.kinds()}")
        print(f"  bytes sent for the photo / its size = {per_item['bytes_sent']:,} / {len(photo):,}"
              f" = {ratio:.3f}  (target <= 1.1: {'met' if ratio <= 1.1 else 'NOT met'})")


def run_sink(port: int) -> None:
    """A tus sink that accepts any length and keeps only the offsets."""
    import uvicorn

    app = FastAPI()
    offsets: dict[str, int] = {}

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/uploads")
    def create() -> Response:
        upload_id = str(len(offsets) + 1)
        offsets[upload_id] = 0
        return Response(status_code=201, headers={"Location": f"/v1/uploads/{upload_id}"})

    @app.head("/v1/uploads/{upload_id}")
    def head(upload_id: str) -> Response:
        return Response(status_code=200, headers={"Upload-Offset": str(offsets[upload_id])})

    @app.patch("/v1/uploads/{upload_id}")
    async def patch(upload_id: str, request: Request) -> Response:
        async for chunk in request.stream():
            offsets[upload_id] += len(chunk)
        return Response(status_code=204, headers={"Upload-Offset": str(offsets[upload_id])})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def big_upload_memory(workdir: Path, big_mb: int) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sink = multiprocessing.get_context("spawn").Process(target=run_sink, args=(port,), daemon=True)
    sink.start()
    try:
        source = workdir / "big.bin"
        with open(source, "wb") as out:
            for _ in range(big_mb):
                out.write(os.urandom(MB))
        device = Device(workdir / "big-device", f"http://127.0.0.1:{port}", "t", policy=FAST)
        await device.take_photo("job-1", source)
        baseline = peak = rss_bytes()

        async def sample() -> None:
            nonlocal peak
            while True:
                peak = max(peak, rss_bytes())
                await asyncio.sleep(0.01)

        sampler = asyncio.create_task(sample())
        started = time.monotonic()
        await device.start()
        await device.wait_idle(timeout=600)
        elapsed = time.monotonic() - started
        sampler.cancel()
        failed = device.state()["failed"]
        await device.close()
        if failed:
            raise SystemExit(f"bench: the upload failed: {failed[0]['error']}")
        added = (peak - baseline) / MB
        print(f"memory while uploading {big_mb} MB from disk: {elapsed:.1f} s, RSS {baseline / MB:.0f} MB ->"
              f" peak {peak / MB:.0f} MB")
        print(f"  memory added / 30 MB target = {added:.1f} / 30 = {added / 30:.2f}"
              f"  (target <= 1.0: {'met' if added <= 30 else 'NOT met'})")
    finally:
        sink.terminate()
        sink.join(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photo-mb", type=int, default=5)
    parser.add_argument("--big-mb", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-client-upload-") as tmp:
        asyncio.run(cut_link_upload(Path(tmp), args.photo_mb))
        asyncio.run(big_upload_memory(Path(tmp), args.big_mb))


if __name__ == "__main__":
    main()
