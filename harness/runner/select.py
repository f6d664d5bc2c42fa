"""Which scenarios a run takes: files and folders given, filtered by a pytest-style -k expression."""

from __future__ import annotations

from pathlib import Path

from harness.core.errors import HarnessError
from harness.scenarios import Scenario, load_scenario

SUFFIXES = (".yaml", ".yml")


def scenario_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
            if not found:
                raise HarnessError(f"{path}: no scenario files (*.yaml) in this folder")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise HarnessError(f"{path}: no such file or folder; give scenario files or folders of them")
    return files


def load_selected(paths: list[Path], keyword: str | None = None) -> list[Scenario]:
    """Every scenario in ``paths`` (a broken file raises its ScenarioError), then the -k filter."""
    scenarios = [load_scenario(path) for path in scenario_files(paths)]
    if keyword:
        scenarios = [s for s in scenarios if matches(keyword, s)]
        if not scenarios:
            raise HarnessError(f"-k {keyword!r} selects none of the scenarios in {', '.join(map(str, paths))}")
    return scenarios


def matches(keyword: str, scenario: Scenario) -> bool:
    """pytest's own -k grammar (and, or, not, parentheses), matched case-insensitively as a substring
    of the scenario's name, its file name or one of its tags, as pytest does for test ids and markers."""
    from _pytest.mark.expression import Expression  # pytest's parser: the grammar users already know

    try:
        expression = Expression.compile(keyword)
    except Exception as exc:  # pytest raises its ParseError here
        raise HarnessError(f"-k {keyword!r} is not a valid expression ({exc}); e.g. -k 'upload and not slow'") from None
    words = [scenario.name, Path(scenario.source or "").stem, *scenario.tags]

    def matches(name: str, /, **_: str | int | bool | None) -> bool:
        return any(name.lower() in word.lower() for word in words)

    return expression.evaluate(matches)
