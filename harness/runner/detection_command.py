"""`offline-harness detection`: print the detection table (bug → scenarios → kind), or --run to check it."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--catalogue", default=None, metavar="DIR",
                        help="the scenario folder (default: the shipped catalogue, scenarios/)")
    parser.add_argument("--list", action="store_true",
                        help="print the catalogue as a markdown list (file: what it models) instead of the table")
    parser.add_argument("--run", action="store_true",
                        help="switch each seeded bug on in turn, run the scenarios the table names and check"
                             " they report its violation kinds (exit 1 if one does not)")
    parser.add_argument("--backend", default="embedded", metavar="KIND",
                        help="network backend for --run: embedded (default), binary, docker, auto, or a URL")


def main(args: argparse.Namespace) -> int:
    import asyncio

    from harness.runner.command import default_catalogue
    from harness.runner.detection import DETECTIONS, catalogue_files, catalogue_list, markdown_table, run_detection
    from harness.runner.run import RunOptions
    from harness.runner.select import load_selected

    catalogue = load_selected([Path(args.catalogue) if args.catalogue else default_catalogue()])
    if args.list:
        print(catalogue_list(catalogue))
        return 0
    print(markdown_table(catalogue_files(catalogue)))
    if not args.run:
        return 0
    missed = 0
    for detection in DETECTIONS:
        found = asyncio.run(run_detection(detection, catalogue, RunOptions(backend=args.backend)))
        for scenario, kinds in found.items():
            lacking = sorted(set(detection.kinds) - kinds)
            missed += bool(lacking)
            verdict = f"MISSED {', '.join(lacking)}" if lacking else "caught"
            reported = ", ".join(sorted(kinds)) or "none"
            print(f"{detection.side} {detection.bug}: {scenario}: {verdict} (reported: {reported})")
    return 1 if missed else 0
