"""Scenarios: the YAML format QA engineers write (schema.json), its loader and the typed Scenario."""

from __future__ import annotations

from pathlib import Path

from harness.scenarios.errors import Problem, ScenarioError
from harness.scenarios.loader import load_scenario, parse_scenario
from harness.scenarios.model import Scenario
from harness.scenarios.validate import scenario_schema

SCHEMA_PATH = Path(__file__).with_name("schema.json")  # for editors: `# yaml-language-server: $schema=...`

__all__ = [
    "SCHEMA_PATH", "Problem", "Scenario", "ScenarioError", "load_scenario", "parse_scenario", "scenario_schema",
]
