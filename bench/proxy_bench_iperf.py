"""iperf3 client runs for the proxy benchmark: one bounded test, its received rate from `-J` JSON."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass

from proxy_bench_servers import HOST

BUSY_RETRIES = 5
SLACK_SECONDS = 30  # on top of the test's own time: connection set-up and the final exchange


@dataclass(frozen=True)
class Traffic:
    """What one iperf3 test sends: how many parallel streams, which way, for how long."""

    streams: int
    reverse: bool  # True: iperf3 server -> client (-R), i.e. the proxy's downstream
    seconds: int  # iperf3 reads -t and -O as whole seconds (0 would mean "forever")
    omit: int = 1  # seconds of TCP slow start left out of the figure (-O)

    @property
    def label(self) -> str:
        way = "server->client" if self.reverse else "client->server"
        return f"{self.streams} stream{'s' if self.streams > 1 else ''}, {way}"


class IperfError(RuntimeError):
    pass


class ServerBusy(IperfError):
    pass


def run_iperf3(port: int, traffic: Traffic) -> float:
    """Run iperf3 against 127.0.0.1:port (an iperf3 server, or a proxy in front of one); MB/s received.

    An iperf3 server still closing the previous test answers "busy" (or resets the new control
    connection, with either proxy): the test is tried again.
    """
    for attempt in range(BUSY_RETRIES):
        try:
            return _run_once(port, traffic)
        except ServerBusy:
            time.sleep(0.2 * (attempt + 1))
    raise IperfError(f"the iperf3 server stayed busy {BUSY_RETRIES} times")


def _run_once(port: int, traffic: Traffic) -> float:
    argv = ["iperf3", "-c", HOST, "-p", str(port), "-J", "-t", str(traffic.seconds), "-O", str(traffic.omit)]
    argv += ["-P", str(traffic.streams), "--connect-timeout", "5000"]
    if traffic.reverse:
        argv.append("-R")
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=traffic.seconds + traffic.omit + SLACK_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise IperfError(f"iperf3 did not finish: {' '.join(argv)}") from None
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise IperfError(f"iperf3 gave no JSON (exit {done.returncode}): {done.stderr.strip()[:300]}") from None
    if "error" in report:
        if "busy" in report["error"] or "unable to receive control message" in report["error"]:
            raise ServerBusy(report["error"])
        raise IperfError(f"iperf3: {report['error']}")
    return report["end"]["sum_received"]["bits_per_second"] / 8e6


def start_iperf3(port: int, traffic: Traffic) -> subprocess.Popen[str]:
    """Start a long iperf3 test in the background (the busy connections of the toxic-change timing)."""
    argv = ["iperf3", "-c", HOST, "-p", str(port), "-t", str(traffic.seconds), "-P", str(traffic.streams)]
    if traffic.reverse:
        argv.append("-R")
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
