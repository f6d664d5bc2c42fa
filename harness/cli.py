"""`offline-harness`: one thin front end over the parts. Each subcommand lives with its part.

A part's command module exposes ``add_arguments(parser)`` and ``main(args) -> int`` and keeps its
heavy imports inside ``main`` so that ``offline-harness --help`` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from harness.core.errors import HarnessError

# subcommand -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "toxiproxy": ("harness.network.toxiproxy.command", "run the embedded Toxiproxy-compatible server"),
    "serve": ("harness.server.command", "run the reference server (the field-service backend)"),
    "client": ("harness.client.command", "run the reference client (the device) with a control channel"),
}


def build_parser() -> argparse.ArgumentParser:
    from harness import __version__

    parser = argparse.ArgumentParser(
        prog="offline-harness",
        description="Network-simulation and exactly-once test harness for an app's offline mode.",
    )
    parser.add_argument("--version", action="version", version=f"offline-harness {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # part not built yet
            raise
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_main=module.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_main", None):
        parser.print_help()
        return 2
    try:
        return int(args._main(args) or 0)
    except HarnessError as exc:
        print(f"offline-harness {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
