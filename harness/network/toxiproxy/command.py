"""`offline-harness toxiproxy`: run the embedded Toxiproxy-compatible server in the foreground.

Accepts the real server's single-dash flags too (``-host``, ``-port``, ``-config``, ``-seed``), so
scripts written for ``toxiproxy-server`` work unchanged.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        "-host",
        default="localhost",
        help="host for the API to listen on (default: localhost, as toxiproxy-server)",
    )
    parser.add_argument("--port", "-port", type=int, default=8474, help="port for the API (default: 8474)")
    parser.add_argument(
        "--config",
        "-config",
        default=None,
        help="JSON file of proxies to create at start (same format as POST /populate)",
    )
    parser.add_argument(
        "--seed",
        "-seed",
        type=int,
        default=None,
        help="seed for every random draw of the toxics (jitter, toxicity, slicer sizes)",
    )


def main(args: argparse.Namespace) -> int:
    import asyncio

    from harness.network.toxiproxy.server import EmbeddedToxiproxy

    server = EmbeddedToxiproxy(host=args.host, port=args.port, seed=args.seed, config=args.config)

    async def run() -> None:
        await server.open()
        print(f"embedded toxiproxy listening on {server.url} (seed {server.seed})", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await server.close()

    try:
        asyncio.run(run())
    except socket.gaierror as exc:
        print(f"offline-harness toxiproxy: error: cannot listen on host {args.host!r}: {exc.strerror}"
              " (give an IP address or a name this machine resolves, e.g. --host 127.0.0.1)", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f"{args.host}:{args.port}"
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        if args.config and getattr(exc, "filename", None):
            print(f"offline-harness toxiproxy: error: cannot read config {exc.filename}: {reason}", file=sys.stderr)
        else:
            print(
                f"offline-harness toxiproxy: error: cannot listen on {where}: {reason}"
                " (choose another --port, or stop what uses it)",
                file=sys.stderr,
            )
        return 1
    except ValueError as exc:
        print(
            f"offline-harness toxiproxy: error: bad config {exc} (it must be a JSON array of proxies,"
            ' e.g. [{"name": "db", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:5432"}])',
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 0
    return 0
