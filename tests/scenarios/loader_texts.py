"""Scenario text the loader tests start from."""

from __future__ import annotations

# The smallest valid scenario but its steps: append step lines (or fill {steps}).
BASE = """\
name: x
description: A dead zone on a rural road.
setup:
  technicians: [alice]
  jobs: [{id: job1, technician: alice}]
steps:
{steps}
"""
HEAD = BASE.replace("{steps}\n", "")
