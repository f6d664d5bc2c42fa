"""`offline-harness client`: run the reference client as its own process, driven over a control channel."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", required=True,
                        help="device store directory (created if missing; reuse it to restart)")
    parser.add_argument("--base-url", required=True, help="server (or proxy) URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--token", required=True,
                        help="the technician's bearer token (write --token=T when it starts with -)")
    parser.add_argument("--control", default="127.0.0.1:0",
                        help="HOST:PORT of the JSON-lines control channel; port 0 picks a free one"
                             " (default 127.0.0.1:0)")
    parser.add_argument("--bugs", default="",
                        help="comma-separated seeded bugs to switch on (see harness/client/bugs.py)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the retry jitter")
    parser.add_argument("--chunk-size", type=int, default=128 * 1024,
                        help="largest tus PATCH in bytes (default 128 KiB)")


def parse_hostport(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--control must be HOST:PORT with a port in 0-65535, got {value!r}")
    return host, int(port)


def main(args: argparse.Namespace) -> int:
    import asyncio

    from harness.client.bugs import parse_bugs
    from harness.core.errors import HarnessError

    try:
        host, port = parse_hostport(args.control)
        parse_bugs(args.bugs)
    except ValueError as exc:
        raise HarnessError(str(exc)) from None
    if not args.base_url.startswith(("http://", "https://")):
        raise HarnessError(f"--base-url must start with http:// or https://, got {args.base_url!r}")
    if args.chunk_size < 1:
        raise HarnessError("--chunk-size must be a positive number of bytes")
    try:
        asyncio.run(_run(args, host, port))
    except OSError as exc:
        reason = exc.strerror or exc
        raise HarnessError(f"cannot open the store {args.store} or listen on {args.control}: {reason}") from None
    return 0


async def _run(args: argparse.Namespace, host: str, port: int) -> None:
    import asyncio
    import signal

    from harness.client.control import serve_control
    from harness.client.device import Device

    device = Device(args.store, args.base_url, args.token, bugs=args.bugs, seed=args.seed,
                    chunk_size=args.chunk_size)
    await device.start()
    server = await serve_control(device, host, port)
    bound = server.sockets[0].getsockname()
    print(f"control listening on {bound[0]}:{bound[1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        server.close()
        await device.close()
