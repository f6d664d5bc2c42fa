"""Benchmark: draining a backlog of small queued actions over a slow link, as ratios.

1,000 actions (notes and time entries) are queued offline, then the device starts against the
reference server (own process) behind a real toxiproxy-server with 100 ms latency each way
(200 ms round trip). Printed: drain time against the 5 s target and against the 200 s that one
request per action would need; duplicates and losses as the checker sees them (target: none).
Run: `python bench/bench_client_backlog.py [--actions 1000] [--rtt-ms 200]`. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from bench_client_common import server_and_proxy, sync_until_idle

from harness.checker import check
from harness.client import Device
from harness.client.retry import RetryPolicy


async def drain(workdir: Path, actions: int, rtt_ms: int) -> None:
    async with server_and_proxy(workdir) as (world, proxy):
        for stream in ("upstream", "downstream"):
            await proxy.link.latency(rtt_ms // 2, stream=stream).apply()
        device = Device(workdir / "device", proxy.url, world.tech_token, seed=1,
                        policy=RetryPolicy(probe_interval=0.05, probe_cap=0.2))
        for n in range(actions):
            job = world.job_ids[n % len(world.job_ids)]
            if n % 10 == 9:
                await device.clock_in(job)
            else:
                await device.add_note(job, f"backlog note {n}")
        elapsed, history = await sync_until_idle(device, timeout=600)
        await device.close()
        verdict = check(history, world.ledger(), proxy.timeline)
        limit = actions * rtt_ms / 1000
        print(f"backlog of {actions} small actions over a {rtt_ms} ms round-trip link:"
              f" {history['counters']['requests']} requests, verdict"
              f" {'pass (no duplicate, nothing lost)' if verdict.passed else verdict.kinds()}")
        print(f"  drain time / 5 s target = {elapsed:.2f} / 5 = {elapsed / 5:.2f}"
              f"  (target <= 1.0: {'met' if elapsed <= 5 else 'NOT met'})")
        print(f"  drain time / one-request-per-action limit = {elapsed:.2f} / {limit:.0f} = {elapsed / limit:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=1000)
    parser.add_argument("--rtt-ms", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-client-backlog-") as tmp:
        asyncio.run(drain(Path(tmp), args.actions, args.rtt_ms))


if __name__ == "__main__":
    main()
