"""`offline-harness run`: run scenario files, show progress and a summary, write the reports."""

from __future__ import annotations

import argparse
from pathlib import Path

CATALOGUE = "scenarios"
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="scenario files or folders of them (default: the shipped catalogue, scenarios/)")
    parser.add_argument("-k", dest="keyword", metavar="EXPR",
                        help="only scenarios whose name, tags or file match, as pytest -k: 'upload and not slow'")
    parser.add_argument("--backend", default="embedded", metavar="KIND",
                        help="network backend: embedded (default), binary, docker, auto, or a Toxiproxy API URL")
    parser.add_argument("--report-dir", default="reports", metavar="DIR",
                        help="where results.json, junit.xml and report.html go (default reports/)")
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help="seed for every scenario instead of its own (replays a failure)")
    parser.add_argument("--time-scale", type=float, default=1.0, metavar="X",
                        help="multiply every wait, deadline and flapping period by X (default 1)")
    parser.add_argument("-n", dest="workers", type=int, default=4, metavar="WORKERS",
                        help="scenarios run at the same time (default 4)")


def main(args: argparse.Namespace) -> int:
    import asyncio

    from harness.core.errors import HarnessError
    from harness.runner.display import Display
    from harness.runner.run import RunOptions, run_scenarios
    from harness.runner.select import load_selected

    if args.time_scale <= 0:
        raise HarnessError(f"--time-scale must be > 0, got {args.time_scale:g}")
    if args.workers < 1:
        raise HarnessError(f"-n must be at least 1, got {args.workers}")
    paths = [Path(p) for p in args.paths] or [default_catalogue()]
    scenarios = load_selected(paths, args.keyword)
    options = RunOptions(backend=args.backend, seed=args.seed, time_scale=args.time_scale, workers=args.workers)
    display = Display(len(scenarios))
    with display:
        result = asyncio.run(run_scenarios(scenarios, options, on_start=display.started, on_done=display.finished))
    display.summary(result)
    written = write_reports(result.to_dict(), Path(args.report_dir))
    display.console.print(f"reports: {written}")
    return 0 if result.passed else 1


def default_catalogue() -> Path:
    """``scenarios/`` of the current directory, else the repository's (an editable install)."""
    from harness.core.errors import HarnessError

    for base in (Path.cwd(), PACKAGE_ROOT):
        if (base / CATALOGUE).is_dir():
            return base / CATALOGUE if base != Path.cwd() else Path(CATALOGUE)
    raise HarnessError(
        f"no {CATALOGUE}/ folder here ({Path.cwd()}) nor next to the package ({PACKAGE_ROOT});"
        " give scenario files or folders: offline-harness run PATH ..."
    )


def write_reports(results: dict, report_dir: Path) -> str:
    """harness.report writes the three reports; without it, results.json alone."""
    import json

    report_dir.mkdir(parents=True, exist_ok=True)
    try:
        from harness.report import write_reports as write_all
    except ImportError:
        (report_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        return f"{report_dir / 'results.json'} (harness.report is not installed: no junit.xml or report.html)"
    write_all(results, report_dir)
    return f"{report_dir}/ (results.json, junit.xml, report.html)"
