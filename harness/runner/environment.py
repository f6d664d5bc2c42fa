"""What the front ends (``offline-harness run``, ``trials`` and the pytest plugin) set a run up with,
all from the runner: the run's ``environment`` (one network backend seeded with ``NETWORK_SEED``, a
reference server, a scratch directory), a network backend seeded the same way for a test of its own,
the reference server a pytest process shares, and the scenario files' loader.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.runner.reference_backend import start_shared_server
from harness.runner.run import NETWORK_SEED, Environment, environment, open_network
from harness.scenarios import Scenario, ScenarioError, load_scenario
from harness.scenarios.model import Job

__all__ = [
    "NETWORK_SEED", "Environment", "Job", "Scenario", "ScenarioError", "environment", "load_scenario",
    "open_network", "shared_reference_server",
]


def shared_reference_server(db: str | Path) -> Any:
    """A reference server in a thread of this process, for every event loop of it: ``url``,
    ``admin_token``, ``stop()``. ``environment(server=...)`` uses it without stopping it."""
    return start_shared_server(db)
