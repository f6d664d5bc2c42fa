"""The scenario runner: sets up each scenario's world, plays its timeline, checks and reports.

    from harness.runner import RunOptions, run_scenarios
    result = asyncio.run(run_scenarios([load_scenario("scenarios/x.yaml")], RunOptions()))
"""

from __future__ import annotations

from harness.runner.adapters import BackendAdapter, DeviceAdapter, DeviceRefused, User
from harness.runner.result import RunResult, ScenarioResult
from harness.runner.run import Environment, RunOptions, environment, run_scenario, run_scenarios

__all__ = [
    "BackendAdapter", "DeviceAdapter", "DeviceRefused", "Environment", "RunOptions", "RunResult",
    "ScenarioResult", "User", "environment", "run_scenario", "run_scenarios",
]
