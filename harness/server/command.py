"""`offline-harness serve`: run the reference server on uvicorn."""

from __future__ import annotations

import argparse

from harness.server.cors import origin
from harness.server.read_timeouts import ReadTimeouts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on; 0 picks a free one (default 8000)")
    parser.add_argument("--db", required=True, help="SQLite database file; media go to <db>.media/ beside it")
    parser.add_argument("--admin-token", default=None, help="bearer token of the admin API (default dev-admin-token)")
    parser.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    parser.add_argument("--cors-origin", action="append", default=[], type=origin, metavar="ORIGIN",
                        help="let browser apps of this origin (scheme://host[:port], or *) call the API, e.g. with"
                             " tus-js-client; repeat for more (default: none, no CORS)")
    defaults = ReadTimeouts()
    parser.add_argument("--header-timeout", type=float, default=defaults.header, metavar="S",
                        help="drop a client whose request head is not complete within S seconds"
                             f" (default {defaults.header:g})")
    parser.add_argument("--body-timeout", type=float, default=defaults.body_idle, metavar="S",
                        help="drop a client whose request body sends nothing for S seconds, or averages under"
                             f" {defaults.body_min_rate:g} bytes/s after its first S seconds"
                             f" (default {defaults.body_idle:g})")


def main(args: argparse.Namespace) -> int:
    import sqlite3

    from harness.core.errors import HarnessError
    from harness.server.running import serve_forever

    if not 0 <= args.port <= 65535:
        raise HarnessError(f"--port must be within 0-65535, got {args.port}")
    if not (args.header_timeout > 0 and args.body_timeout > 0):  # also refuses nan
        raise HarnessError(f"--header-timeout and --body-timeout must be positive seconds, got {args.header_timeout:g}"
                           f" and {args.body_timeout:g}")
    timeouts = ReadTimeouts(header=args.header_timeout, body_idle=args.body_timeout)
    try:
        serve_forever(args.host, args.port, args.db, args.admin_token, args.log_level, timeouts,
                      cors_origins=tuple(args.cors_origin))
    except (OSError, sqlite3.Error) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise HarnessError(f"cannot serve on {args.host}:{args.port} with --db {args.db}: {reason}") from None
    return 0
