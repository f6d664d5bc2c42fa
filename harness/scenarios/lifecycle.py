"""Checks on the order of kills and restarts: what the schema cannot see because it reads one step
at a time. A restart of a server that is still running would start a second one beside the first
("Address already in use"); a step that needs a killed part would fail mid-run."""

from __future__ import annotations

from typing import Any

from harness.scenarios.errors import Problem, format_path
from harness.scenarios.limits import MAX_PROBLEMS
from harness.scenarios.yaml_marks import Marks

TARGETS = ("device", "server")
_DEVICE_WAITS = ("synced", "idle", "syncing", "offline")  # what the devices' sync indicators show
# expect keys read from the server (its ledger, a job) or from the devices (indicator, outbox, history)
_SERVER_EXPECTS = ("job_status", "emails", "charges", "verdict", "violations")
_DEVICE_EXPECTS = ("sync_state", "queued", "max_retries", "max_requests", "verdict", "violations")


def lifecycle_problems(data: dict[str, Any], marks: Marks) -> list[Problem]:
    """Problems in a scenario that already matches the schema."""
    problems: list[Problem] = []
    killed_at: dict[str, int | None] = dict.fromkeys(TARGETS)  # target -> line of its kill while it is down
    for index, step in enumerate(data["steps"]):
        if len(problems) > MAX_PROBLEMS:
            break
        path = ("steps", index)
        line = marks.line(path, scalar=False)
        for key in ("kill", "restart"):
            if key in step:
                problem = _kill_or_restart(key, step[key], killed_at, path, line)
                if problem:
                    problems.append(Problem(line, problem))
        for target in _needs(step):
            if killed_at[target] is not None:
                problems.append(Problem(line, f"{format_path(path)}: this step needs the {target}, killed at line"
                                              f" {killed_at[target]} and not restarted yet;"
                                              f" add `restart: {target}` before it"))
    if killed_at["server"] is not None:
        problems.append(Problem(killed_at["server"], "the server is killed here and never restarted; add"
                                                     " `restart: server` after it (the checker reads the"
                                                     " server's ledger at the end)"))
    return problems


def _kill_or_restart(key: str, target: str, killed_at: dict[str, int | None], path: tuple[Any, ...],
                     line: int) -> str | None:
    where = format_path(path + (key,))
    if key == "kill":
        if killed_at[target] is not None:
            return (f"{where}: the {target} is already killed (at line {killed_at[target]}) and not restarted"
                    f" since; remove this kill, or add `restart: {target}` before it")
        killed_at[target] = line
        return None
    if killed_at[target] is None:
        return (f"{where}: `restart: {target}` with no `kill: {target}` before it: the {target} is still"
                f" running and a second one cannot start beside it; add `kill: {target}` before this step,"
                " or remove it")
    killed_at[target] = None
    return None


def _needs(step: dict[str, Any]) -> set[str]:
    """The parts this step talks to."""
    needs: set[str] = set()
    if "as" in step or "device_fault" in step:
        needs.add("device")
    if any(key in step for key in ("office", "fault", "commit_then_fail", "delay")):
        needs.add("server")
    wait = step.get("wait")
    if isinstance(wait, dict) and wait.get("until") in _DEVICE_WAITS:
        needs.add("device")
    expect = step.get("expect") or {}
    if any(expect.get(key) is not None for key in _SERVER_EXPECTS):
        needs.add("server")
    if any(expect.get(key) is not None for key in _DEVICE_EXPECTS):
        needs.add("device")
    return needs
