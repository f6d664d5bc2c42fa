"""Reads a YAML scenario file into a Scenario, or raises one ScenarioError naming file, line and fix.

Order of checks: YAML syntax (and duplicate keys), then the published schema (schema.json), then
the names the schema cannot check (technicians, jobs, seeded bugs) and the order of kills and
restarts. The first problem by line is the message; ``ScenarioError.problems`` holds them (up to
limits.MAX_PROBLEMS). Size, nesting and alias expansion are bounded (limits.py), so a load takes
time and memory in proportion to the file, and a file past the bounds gets one error at once.
"""

from __future__ import annotations

import os
from pathlib import Path

from harness.scenarios.build import build_scenario
from harness.scenarios.errors import Problem, ScenarioError
from harness.scenarios.lifecycle import lifecycle_problems
from harness.scenarios.limits import MAX_FILE_BYTES, too_big
from harness.scenarios.model import Scenario
from harness.scenarios.references import reference_problems
from harness.scenarios.validate import schema_problems
from harness.scenarios.yaml_marks import parse_yaml


def load_scenario(path: str | Path) -> Scenario:
    """The scenario in ``path``; its errors name the path as given (e.g. ``scenarios/x.yaml:12``)."""
    source = str(path)
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)  # never more: a huge file is refused, not read
            size = os.fstat(file.fileno()).st_size
    except FileNotFoundError:
        raise ScenarioError(source, [Problem(None, "no such file; check the path")]) from None
    except IsADirectoryError:
        raise ScenarioError(source, [Problem(None, "is a directory; give a .yaml file")]) from None
    except OSError as exc:
        raise ScenarioError(source, [Problem(None, f"cannot be read: {exc.strerror}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(source, [Problem(None, too_big(max(size, len(raw))))])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        problem = Problem(line, f"is not UTF-8 text (byte {exc.start}); save it as UTF-8")
        raise ScenarioError(source, [problem]) from None
    return parse_scenario(text, source)


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """The scenario in ``text``; ``source`` names it in errors."""
    data, marks = parse_yaml(text, source)
    problems = schema_problems(data, marks)
    if not problems:
        problems = reference_problems(data, marks) + lifecycle_problems(data, marks)
    if problems:
        raise ScenarioError(source, problems)
    return build_scenario(data, marks, source)
