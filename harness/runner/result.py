"""Results of a run in the shape harness/report reads (results.json; see ``RunResult.to_dict``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from harness import __version__

PASS, FAIL, ERROR = "pass", "fail", "error"
MAX_TIMELINE_LINES = 40  # a failure shows the whole timeline up to this, else the part around the violations


def iso_utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class ScenarioResult:
    name: str
    file: str | None
    description: str
    tags: list[str]
    seed: int
    verdict: str = ERROR
    duration_s: float = 0.0
    violations: list[dict[str, Any]] = field(default_factory=list)
    expectation_failures: list[str] = field(default_factory=list)
    error: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    timeline: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.verdict == PASS

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "file": self.file, "description": self.description, "tags": list(self.tags),
            "seed": self.seed, "verdict": self.verdict, "duration_s": round(self.duration_s, 3),
            "violations": self.violations, "expectation_failures": self.expectation_failures,
            "error": self.error, "metrics": self.metrics, "timeline": self.timeline,
        }

    def explain(self) -> str:
        """What a person needs to see when it did not pass: the seed to replay, what went wrong, when."""
        lines = [f"scenario {self.name} ({self.file or 'python'}): {self.verdict}, seed {self.seed}"
                 f" (replay with --seed {self.seed})"]
        if self.error:
            lines.append(f"error: {self.error}")
        lines += [f"expectation failed: {failure}" for failure in self.expectation_failures]
        for violation in self.violations:
            lines.append(f"{violation['kind']} {violation['item_id']}: {violation['message']}")
            lines += [f"    {line}" for line in violation.get("history", [])]
        if self.timeline:
            around = self._violation_window()
            lines.append("timeline (seconds since start)" + (", around the violations:" if around else ":"))
            lines += [f"  {line}" for line in timeline_lines(self.timeline, around)]
        return "\n".join(lines)

    def _violation_window(self, margin: float = 2.0) -> tuple[float, float] | None:
        """From just before the first to just after the last event of a violating item (long timelines only)."""
        if len(timeline_lines(self.timeline)) <= MAX_TIMELINE_LINES:
            return None
        wanted = {violation["item_id"] for violation in self.violations}
        times = [t for item in self.timeline.get("items", []) if item["item_id"] in wanted
                 for t in [item.get("accepted_t"), item.get("acknowledged_t"),
                           *(a.get("start_t") for a in item.get("attempts", []))] if t is not None]
        return (min(times) - margin, max(times) + margin) if times else None


def timeline_lines(timeline: dict[str, Any], window: tuple[float, float] | None = None) -> list[str]:
    """Network changes, steps and item outcomes, merged in time order (only those in ``window``)."""
    events: list[tuple[float, str]] = [(band["t"], f"network {band['state']}") for band in timeline.get("network", [])]
    events += [(step["t"], f"step  {step['label']}") for step in timeline.get("steps", [])]
    for item in timeline.get("items", []):
        if item.get("acknowledged_t") is not None:
            events.append((item["acknowledged_t"], f"ack   {item['label']}"))
        for attempt in item.get("attempts", []):
            if attempt["outcome"] != "ok":
                status = attempt.get("http_status") or "no response"
                events.append((attempt["start_t"], f"try   {item['label']}: {attempt['outcome']} ({status})"))
    events.sort(key=lambda event: event[0])
    if window is not None:
        events = [event for event in events if window[0] <= event[0] <= window[1]]
    return [f"{t:7.2f}  {text}" for t, text in events]


@dataclass
class RunResult:
    backend: str
    seed: int | None
    time_scale: float
    started_at: float
    finished_at: float = 0.0
    scenarios: list[ScenarioResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.scenarios)

    def to_dict(self) -> dict[str, Any]:
        count = {verdict: sum(1 for r in self.scenarios if r.verdict == verdict) for verdict in (PASS, FAIL, ERROR)}
        return {
            "harness_version": __version__,
            "started_at": iso_utc(self.started_at), "finished_at": iso_utc(self.finished_at),
            "backend": self.backend, "seed": self.seed, "time_scale": self.time_scale,
            "summary": {"total": len(self.scenarios), "passed": count[PASS], "failed": count[FAIL],
                        "errors": count[ERROR], "duration_s": round(self.finished_at - self.started_at, 3)},
            "scenarios": [result.to_dict() for result in self.scenarios],
        }
