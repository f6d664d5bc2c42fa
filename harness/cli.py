"""`offline-harness`: one thin front end over the parts. Each subcommand lives with its part.

A part's command module exposes ``add_arguments(parser)`` and ``main(args) -> int``. Only the chosen
subcommand's module is imported, so ``offline-harness --help`` starts fast and one part's import
error never breaks another part's command.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from harness.core.errors import HarnessError

# subcommand -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("harness.runner.command", "run scenarios (default: the shipped catalogue) and write the reports"),
    "toxiproxy": ("harness.network.toxiproxy.command", "run the embedded Toxiproxy-compatible server"),
    "serve": ("harness.server.command", "run the reference server (the field-service backend)"),
    "client": ("harness.client.command", "run the reference client (the device) with a control channel"),
    "trials": ("harness.trials.command", "SIGKILL the device or the server mid-sync, N times, and check exactly-once"),
    "detection": ("harness.runner.detection_command", "print which scenarios catch each seeded bug; --run checks it"),
    "schema": ("harness.scenarios.vocabulary.generate", "print the scenario JSON Schema (from the registries)"),
}

__all__ = ["COMMANDS", "HarnessError", "build_parser", "main"]


def _chosen_command(argv: list[str]) -> str | None:
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the subcommand named there gets its arguments loaded."""
    from harness import __version__

    parser = argparse.ArgumentParser(
        prog="offline-harness",
        description="Network-simulation and exactly-once test harness for an app's offline mode.",
    )
    parser.add_argument("--version", action="version", version=f"offline-harness {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = _chosen_command(argv) if argv is not None else None
    for name, (module_name, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        if argv is None or name == chosen:
            module = importlib.import_module(module_name)
            module.add_arguments(command_parser)
            command_parser.set_defaults(_main=module.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
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
