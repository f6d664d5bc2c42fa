"""Benchmark: the embedded Toxiproxy-compatible server against the real `toxiproxy-server`, with iperf3.

In one run, each server in its own process on 127.0.0.1, traffic from iperf3 (client and server on
loopback, Debian package iperf3):
  * throughput in 12 configurations: 1 and 8 parallel streams, both directions, through a proxy with
    no toxic, with a 0 ms latency toxic, and with a bandwidth toxic set above the link's speed (4x
    the direct loopback rate measured at start); real server, embedded server and direct loopback
    (no proxy) interleaved, rounds rotating their order, median of --rounds; printed as ratios to
    the real server;
  * time to add and to remove a toxic while 50 iperf3 streams go through the proxy;
  * quality bars: latency toxic (50 ms) error at p50/p99, bandwidth toxic (1000 KB/s) error.
Targets (issue 16, BRIEF): embedded >= 1.0x the real server in each throughput configuration on a
quiet machine, >= 0.9x with `--busy` (a CPU hog on the other core); toxic add/remove <= 2x the real
server's time; latency error <= 2 ms at p50; bandwidth error <= 5 %.
Run: `python bench/bench_embedded_proxy.py [--busy] [--rounds 5] [--seconds 2] [--json PATH]`
(about 8 minutes with the defaults; it stops starting rounds after --budget seconds).
Exits 2 with a message if toxiproxy-server or iperf3 is not on PATH. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from proxy_bench_iperf import IperfError, Traffic, run_iperf3  # noqa: E402
from proxy_bench_quality import LATENCY_MS, RATE_KB, bandwidth_error, latency_error, toxic_change_times  # noqa: E402
from proxy_bench_servers import cpu_hog, iperf3_server, require, toxiproxy  # noqa: E402

SERVERS = ("real", "embedded")
TOXIC_SETS = ("no toxic", "latency 0 ms", "bandwidth > link")
RATE_FACTOR = 4  # the "above the link" bandwidth toxic's rate, in direct loopback rates


def load_average() -> str:
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def toxics_for(toxic_set: str, rate_kb: int) -> list[dict[str, object]]:
    """The toxics of a configuration, on both streams (iperf3's data goes one way or the other)."""
    if toxic_set == "no toxic":
        return []
    if toxic_set.startswith("latency"):
        kind, attributes = "latency", {"latency": 0}
    else:
        kind, attributes = "bandwidth", {"rate": rate_kb}
    return [
        {"name": f"{kind}_{stream}", "type": kind, "stream": stream, "attributes": attributes}
        for stream in ("upstream", "downstream")
    ]


def traffics(seconds: int) -> list[Traffic]:
    return [Traffic(streams, reverse, seconds) for streams in (1, 8) for reverse in (False, True)]


def measure_throughput(
    ports: dict[str, dict[str, int]], iperf_port: int, args: argparse.Namespace
) -> dict[tuple[str, str], dict[str, list[float]]]:
    """MB/s per (toxic set, traffic label) and target ("real", "embedded", "direct"), per round."""
    results: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    deadline = time.monotonic() + args.budget
    for round_index in range(args.rounds):
        if round_index and time.monotonic() > deadline:
            print(f"  budget of {args.budget:g} s spent: stopping after {round_index} rounds", flush=True)
            break
        print(f"  round {round_index + 1}/{args.rounds} ({load_average()})", flush=True)
        for toxic_set in TOXIC_SETS:
            targets = [*SERVERS, "direct"] if toxic_set == "no toxic" else list(SERVERS)
            shift = round_index % len(targets)
            targets = targets[shift:] + targets[:shift]  # rotate who goes first
            for traffic in traffics(args.seconds):
                for target in targets:
                    port = iperf_port if target == "direct" else ports[target][toxic_set]
                    try:
                        rate = run_iperf3(port, traffic)
                    except IperfError as exc:
                        print(f"    {target} {toxic_set} {traffic.label}: {exc}", flush=True)
                        continue
                    results[(toxic_set, traffic.label)][target].append(rate)
    return results


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator > 0 else "-"


def print_throughput(results: dict[tuple[str, str], dict[str, list[float]]], target: float) -> dict[str, object]:
    print(f"\n{'configuration':<42}{'real':>9}{'embedded':>10}{'direct':>9}{'emb/real':>10}{'direct/real':>13}  rounds")
    table = {}
    for (toxic_set, label), by_target in results.items():
        median = {name: statistics.median(values) if values else math.nan for name, values in by_target.items()}
        real, ours = median.get("real", math.nan), median.get("embedded", math.nan)
        direct = median.get("direct")
        shown_direct = f"{direct:>9.0f}" if direct is not None else f"{'':>9}"
        direct_ratio = ratio(direct, real) if direct is not None else ""
        verdict = "ok" if ours / real >= target else f"below {target:g}"
        rounds = min(len(values) for values in by_target.values())
        print(
            f"{toxic_set + ', ' + label:<42}{real:>9.0f}{ours:>10.0f}{shown_direct}{ratio(ours, real):>10}"
            f"{direct_ratio:>13}  {rounds}  {verdict}"
        )
        table[f"{toxic_set}, {label}"] = {"MB/s": median, "embedded/real": ours / real, "rounds": rounds}
    print("(MB/s = 10^6 bytes/s received, median of the rounds)")
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", action="store_true", help="keep the other core busy with a CPU hog throughout")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (the median is kept)")
    parser.add_argument("--seconds", type=int, default=2, help="seconds of each iperf3 test (after 1 s omitted)")
    parser.add_argument("--budget", type=float, default=480.0, help="no new round starts after this many seconds")
    parser.add_argument("--changes", type=int, default=5, help="toxic add/remove pairs timed (median kept)")
    parser.add_argument("--trips", type=int, default=100, help="round trips through the latency toxic")
    parser.add_argument("--skip-quality", action="store_true", help="throughput and toxic changes only")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    require("iperf3", "`apt-get install -y iperf3` (Debian package iperf3)")
    require("toxiproxy-server", "run `bash .ci/run` once (it builds v2.12.0) and put its folder on PATH")
    started = time.monotonic()
    mode = "busy (CPU hog on the other core)" if args.busy else "quiet"
    print(f"bench_embedded_proxy: {mode} mode; {load_average()}")
    report: dict[str, object] = {"mode": "busy" if args.busy else "quiet", "load_start": os.getloadavg()}
    with ExitStack() as stack:
        iperf_port = stack.enter_context(iperf3_server())
        apis = {name: stack.enter_context(toxiproxy(name)) for name in SERVERS}
        stack.enter_context(cpu_hog(args.busy))
        link = max(run_iperf3(iperf_port, Traffic(streams, False, 1)) for streams in (1, 8))
        rate_kb = int(link * 1000 * RATE_FACTOR)
        print(f"  direct loopback {link:.0f} MB/s: the bandwidth toxic is set to {rate_kb} KB/s")
        ports = {
            name: {toxic_set: api.proxy(f"bench_{index}", iperf_port, toxics_for(toxic_set, rate_kb))
                   for index, toxic_set in enumerate(TOXIC_SETS)}
            for name, api in apis.items()
        }
        results = measure_throughput(ports, iperf_port, args)
        print(f"  toxic add/remove with 50 busy connections ({load_average()})", flush=True)
        changes = {}
        for name, api in apis.items():
            with iperf3_server() as churn_port:  # its own iperf3 server: the 50 streams are cut short
                changes[name] = toxic_change_times(api, churn_port, args.changes)
        quality = {}
        if not args.skip_quality:
            print(f"  quality bars ({load_average()})", flush=True)
            for name, api in apis.items():
                p50, p99 = latency_error(api, args.trips)
                quality[name] = {"p50": p50, "p99": p99, "bandwidth": bandwidth_error(api, iperf_port, 4)}
    target = 0.9 if args.busy else 1.0
    report["throughput"] = print_throughput(results, target)
    print(f"\n{'toxic change, 50 busy connections':<42}{'real ms':>9}{'emb. ms':>10}{'emb/real':>10}  target <= 2")
    for index, action in enumerate(("add", "remove")):
        real, ours = changes["real"][index] * 1000, changes["embedded"][index] * 1000
        print(f"{action + ' a latency toxic':<42}{real:>9.1f}{ours:>10.1f}{ratio(ours, real):>10}")
    report["toxic_change_ms"] = {name: [value * 1000 for value in pair] for name, pair in changes.items()}
    if quality:
        print(f"\n{'quality bar':<42}{'real':>9}{'embedded':>10}  target")
        rows = ((f"latency {LATENCY_MS} ms: p50 error (ms)", "p50", "|error| <= 2 ms"),
                (f"latency {LATENCY_MS} ms: p99 error (ms)", "p99", ""),
                (f"bandwidth {RATE_KB} KB/s: error (%)", "bandwidth", "|error| <= 5 %"))
        for label, key, goal in rows:
            print(f"{label:<42}{quality['real'][key]:>9.2f}{quality['embedded'][key]:>10.2f}  {goal}")
        report["quality"] = quality
    report["load_end"] = os.getloadavg()
    report["seconds"] = time.monotonic() - started
    print(f"\n{load_average()} at the end; {report['seconds']:.0f} s in all")
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
