"""Reads a YAML scenario file into a Scenario, or raises one ScenarioError naming file, line and fix.

Order of checks: YAML syntax (and duplicate keys), then the published schema (schema.json), then
the names the schema cannot check (technicians, jobs, seeded bugs). The first problem by line is
the message; ``ScenarioError.problems`` holds them all.
"""

from __future__ import annotations

from pathlib import Path

from harness.scenarios.build import build_scenario
from harness.scenarios.errors import Problem, ScenarioError
from harness.scenarios.model import Scenario
from harness.scenarios.references import reference_problems
from harness.scenarios.validate import schema_problems
from harness.scenarios.yaml_marks import parse_yaml


def load_scenario(path: str | Path) -> Scenario:
    """The scenario in ``path``; its errors name the path as given (e.g. ``scenarios/x.yaml:12``)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, [Problem(None, "no such file; check the path")]) from None
    except IsADirectoryError:
        raise ScenarioError(source, [Problem(None, "is a directory; give a .yaml file")]) from None
    except UnicodeDecodeError as exc:
        message = f"is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        raise ScenarioError(source, [Problem(None, message)]) from None
    except OSError as exc:
        raise ScenarioError(source, [Problem(None, f"cannot be read: {exc.strerror}")]) from None
    return parse_scenario(text, source)


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """The scenario in ``text``; ``source`` names it in errors."""
    data, marks = parse_yaml(text, source)
    problems = schema_problems(data, marks)
    if not problems:
        problems = reference_problems(data, marks)
    if problems:
        raise ScenarioError(source, problems)
    return build_scenario(data, marks, source)
