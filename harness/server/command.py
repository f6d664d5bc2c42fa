"""`offline-harness serve`: run the reference server on uvicorn."""

from __future__ import annotations

import argparse

from harness.server.cors import origin


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on; 0 picks a free one (default 8000)")
    parser.add_argument("--db", required=True, help="SQLite database file; media go to <db>.media/ beside it")
    parser.add_argument("--admin-token", default=None, help="bearer token of the admin API (default dev-admin-token)")
    parser.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    parser.add_argument("--cors-origin", action="append", default=[], type=origin, metavar="ORIGIN",
                        help="let browser apps of this origin (scheme://host[:port], or *) call the API, e.g. with"
                             " tus-js-client; repeat for more (default: none, no CORS)")


def main(args: argparse.Namespace) -> int:
    import sqlite3

    from harness.core.errors import HarnessError
    from harness.server.running import serve_forever

    if not 0 <= args.port <= 65535:
        raise HarnessError(f"--port must be within 0-65535, got {args.port}")
    try:
        serve_forever(args.host, args.port, args.db, args.admin_token, args.log_level,
                      cors_origins=tuple(args.cors_origin))
    except (OSError, sqlite3.Error) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise HarnessError(f"cannot serve on {args.host}:{args.port} with --db {args.db}: {reason}") from None
    return 0
