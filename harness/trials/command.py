"""`offline-harness trials`: SIGKILL the device or the server at random points of a busy sync, N times,
and check exactly-once after each restart. Exit 0 only when no trial found a violation."""

from __future__ import annotations

import argparse
import random
import sys

from harness.trials.targets import KILL_KINDS

DEFAULT_COUNT = 50  # BRIEF's bar: at least 50 trials of each kind


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kill", required=True, choices=KILL_KINDS,
                        help="what is SIGKILLed mid-sync: the device process (client) or the server process")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, metavar="N",
                        help=f"number of trials (default {DEFAULT_COUNT})")
    parser.add_argument("--seed", type=int, default=None, metavar="S",
                        help="seed of the backlogs and kill points; trial k uses S+k-1"
                             " (default: a random one, printed)")
    parser.add_argument("--report-dir", default=None, metavar="DIR",
                        help="write results.json, junit.xml and report.html there (one scenario per trial)")
    parser.add_argument("--backend", default="embedded", metavar="KIND",
                        help="network backend of the proxy in the path: embedded (default), binary, docker, auto,"
                             " or a Toxiproxy API URL")
    parser.add_argument("--client-bug", action="append", default=[], metavar="NAME",
                        help="switch on a seeded bug of the reference client (repeatable; see harness/client/bugs.py)")
    parser.add_argument("--server-bug", action="append", default=[], metavar="NAME",
                        help="switch on a seeded bug of the reference server (repeatable; see harness/server/bugs.py)")
    parser.add_argument("--kill-in-flight", action="store_true",
                        help="kill on evidence instead of at a drawn time: the server as soon as its database shows"
                             " part of the batch committed, the device once it shows syncing with work still queued;"
                             " for proving that a seeded bug is caught (default: kill points drawn from the seed)")


def main(args: argparse.Namespace) -> int:
    import asyncio
    import time

    from harness.core.errors import HarnessError
    from harness.trials.display import print_summary, print_trial
    from harness.trials.run import TrialOptions, run_trials

    if args.count < 1:
        raise HarnessError(f"--count must be at least 1, got {args.count}")
    _check_bugs(args.client_bug, args.server_bug)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**6)
    options = TrialOptions(kill=args.kill, count=args.count, seed=seed, backend=args.backend,
                           client_bugs=tuple(args.client_bug), server_bugs=tuple(args.server_bug),
                           in_flight=args.kill_in_flight)
    target = "device" if args.kill == "client" else "server"
    print(f"crash trials: {args.count} SIGKILL(s) of the {target} mid-sync, seed {seed}, backend {args.backend}"
          + _bugs_said(args.client_bug, args.server_bug) + (", killed in flight" if args.kill_in_flight else ""),
          flush=True)
    started = time.monotonic()
    outcome = asyncio.run(run_trials(options, lambda number, record: print_trial(number, args.count, record)))
    print_summary(outcome, time.monotonic() - started)
    if args.report_dir:
        from harness.report import write_reports

        write_reports(outcome.results(), args.report_dir)
        print(f"reports: {args.report_dir}/ (results.json, junit.xml, report.html)")
    sys.stdout.flush()
    return 0 if outcome.passed else 1


def _check_bugs(client: list[str], server: list[str]) -> None:
    from harness.client.bugs import parse_bugs
    from harness.core.errors import HarnessError
    from harness.server.bugs import BUGS, unknown_bugs

    try:
        parse_bugs(client)
    except ValueError as exc:
        raise HarnessError(f"--client-bug: {exc}") from None
    unknown = unknown_bugs(server)
    if unknown:
        raise HarnessError(f"--server-bug: unknown server bug(s) {', '.join(unknown)};"
                           f" expected some of {', '.join(BUGS)}")


def _bugs_said(client: list[str], server: list[str]) -> str:
    bugs = [f"client {name}" for name in client] + [f"server {name}" for name in server]
    return f", seeded bugs on: {', '.join(bugs)}" if bugs else ""
