"""Benchmark: SIGKILL of the client process at random points of a sync, then restart on the same store.

Each trial queues notes, status moves and a photo on `offline-harness client` (its own process),
lets it sync through a real toxiproxy-server with 40 ms latency each way, SIGKILLs it after a
random delay, restarts it and waits until it is idle. The checker then compares every action the
device acknowledged with the server's ledger. Target (BRIEF): in >= 50 trials nothing acknowledged
is lost or duplicated. Run: `python bench/bench_client_kill.py [--trials 50] [--seed 1]`.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench_client_common import server_and_proxy, seed_world

from client_process import ClientProcess
from harness.checker import check


def trial(workdir: Path, n: int, world, proxy, rng: random.Random) -> list[str]:  # type: ignore[no-untyped-def]
    job = world.job_ids[0]
    store = workdir / f"device-{n}"
    client = ClientProcess(store, proxy.url, world.tech_token, "--chunk-size", str(64 * 1024), "--seed", str(n))
    try:
        for status in ("en_route", "in_progress"):
            client.call("set_status", job_id=job, status=status)
        for k in range(rng.randint(5, 30)):
            client.call("add_note", job_id=job, text=f"trial {n} note {k}")
        photo = workdir / f"photo-{n}.jpg"
        photo.write_bytes(os.urandom(rng.randint(100, 600) * 1024))
        client.call("take_photo", job_id=job, path=str(photo))
        client.call("set_status", job_id=job, status="complete")
        time.sleep(rng.uniform(0.0, 0.6))
    finally:
        client.kill()
    again = ClientProcess(store, proxy.url, world.tech_token)
    try:
        again.call("wait_idle", timeout=60)
        history = again.call("history")
    finally:
        again.stop()
    return check(history, world.ledger(), proxy.timeline).kinds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    violations: Counter[str] = Counter()
    failed_trials = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-client-kill-") as tmp:
        with server_and_proxy(Path(tmp)) as (first_world, proxy):
            for stream in ("upstream", "downstream"):
                proxy.add_toxic(f"latency_{stream}", "latency", stream=stream, latency=40)
            for n in range(args.trials):
                world = seed_world(first_world.url, first_world.admin_token)  # a fresh tenant per trial
                kinds = trial(Path(tmp), n, world, proxy, rng)
                violations.update(kinds)
                failed_trials += bool(kinds)
    elapsed = time.monotonic() - started
    print(f"client SIGKILLed mid-sync and restarted: {args.trials} trials in {elapsed:.0f} s")
    print(f"  trials with a violation / trials = {failed_trials} / {args.trials}"
          f"  (target 0: {'met' if not failed_trials else 'NOT met ' + str(dict(violations))})")


if __name__ == "__main__":
    main()
