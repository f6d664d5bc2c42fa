"""What `offline-harness run` shows: a live progress bar on a terminal, plain lines otherwise, and the
summary table at the end (rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from harness.runner.result import RunResult, ScenarioResult
from harness.scenarios import Scenario

COLOURS = {"pass": "green", "fail": "red", "error": "yellow"}


class Display:
    def __init__(self, total: int, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)
        self.total = total
        self.live = self.console.is_terminal
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=self.console, transient=True)
        self.task: Any = None
        self.running: list[str] = []

    def __enter__(self) -> Display:
        if self.live:
            self.progress.start()
            self.task = self.progress.add_task("scenarios", total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.progress.stop()

    def started(self, scenario: Scenario) -> None:
        self.running.append(scenario.name)
        if self.live:
            self.progress.update(self.task, description=self._running())
        else:
            print(f"start {scenario.name}", flush=True)

    def _running(self) -> str:
        names = ", ".join(self.running)
        return f"running {names[:60]}{'…' if len(names) > 60 else ''}" if names else "scenarios"

    def finished(self, result: ScenarioResult) -> None:
        line = f"{result.verdict.upper():5} {result.name} ({result.duration_s:.1f} s)"
        if result.name in self.running:
            self.running.remove(result.name)
        if self.live:
            self.progress.console.print(f"[{COLOURS[result.verdict]}]{line}[/]", markup=True, highlight=False)
            self.progress.update(self.task, advance=1, description=self._running())
        else:
            print(line, flush=True)

    def summary(self, run: RunResult) -> None:
        for result in run.scenarios:
            if not result.passed:
                self.console.print(result.explain(), markup=False)
                self.console.print()
        table = Table(title="offline-harness run")
        for column, justify in (("scenario", "left"), ("verdict", "left"), ("violations", "left"),
                                ("time to sync", "right"), ("duration", "right")):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for result in run.scenarios:
            sync = result.metrics.get("time_to_sync_s")
            kinds = sorted({v["kind"] for v in result.violations})
            table.add_row(result.name, f"[{COLOURS[result.verdict]}]{result.verdict}[/]",
                          ", ".join(kinds) or ("-" if result.verdict != "error" else result.error or "-"),
                          "-" if sync is None else f"{sync:.2f} s", f"{result.duration_s:.1f} s")
        self.console.print(table)
        data = run.to_dict()["summary"]
        verdict = "all passed" if run.passed else f"{data['failed']} failed, {data['errors']} errors"
        self.console.print(f"{data['passed']}/{data['total']} passed ({verdict}) in {data['duration_s']:.1f} s"
                           + ("" if run.passed or run.seed is not None else "; replay one with --seed N"))


