"""YAML parsing that remembers the line of every key and value (PyYAML's composed nodes keep marks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from harness.scenarios.errors import Path, Problem, ScenarioError

# YAML 1.1 (PyYAML) reads these unquoted words as booleans or null: worth a hint when a word was meant.
_SURPRISING_SCALARS = {"yes", "no", "on", "off", "y", "n", "~", "null"}


@dataclass
class Marks:
    """Line numbers (1-based) by path: where each key is written and where its value starts."""

    key_lines: dict[Path, int] = field(default_factory=dict)
    value_lines: dict[Path, int] = field(default_factory=dict)
    scalar_texts: dict[Path, str] = field(default_factory=dict)

    def line(self, path: Path, *, scalar: bool) -> int:
        """The value's line for a scalar, the key's line for a mapping or list; else the nearest parent's."""
        path = tuple(path)
        while path:
            lines = self.value_lines if scalar else self.key_lines
            if path in lines:
                return lines[path]
            path, scalar = path[:-1], False
        return self.value_lines.get((), 1)

    def surprising_scalar(self, path: Path) -> str | None:
        """The text as written when YAML turned a word like ``off`` or ``no`` into a boolean or null."""
        text = self.scalar_texts.get(tuple(path))
        return text if text is not None and text.lower() in _SURPRISING_SCALARS else None


def parse_yaml(text: str, source: str) -> tuple[Any, Marks]:
    """The document's data and the marks of its nodes; ScenarioError on a syntax error or duplicate key."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            message = "the file is empty; a scenario needs name, description, setup and steps"
            raise ScenarioError(source, [Problem(1, message)])
        marks = Marks()
        problems: list[Problem] = []
        _walk(loader, node, (), marks, problems)
        if problems:
            raise ScenarioError(source, problems)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError(source, [_syntax_problem(exc)]) from None
    except yaml.YAMLError as exc:  # e.g. a character YAML does not allow
        raise ScenarioError(source, [Problem(None, f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    return data, marks


def _walk(loader: yaml.SafeLoader, node: yaml.Node, path: Path, marks: Marks, problems: list[Problem]) -> None:
    marks.value_lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        if node.style is None:  # plain (unquoted) scalars are the ones YAML may reinterpret
            marks.scalar_texts[path] = node.value
    elif isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                key = str(key)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(Problem(line, f"duplicate key {key!r} (first at line {seen[key]}); keep only one"))
                continue
            seen[key] = line
            marks.key_lines[path + (key,)] = line
            marks.value_lines[path + (key,)] = value_node.start_mark.line + 1
            _walk(loader, value_node, path + (key,), marks, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            marks.key_lines[path + (index,)] = child.start_mark.line + 1
            _walk(loader, child, path + (index,), marks, problems)


def _syntax_problem(exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    problem = exc.problem or "unreadable YAML"
    context = ""
    if exc.context:
        started = exc.context_mark.line + 1 if exc.context_mark is not None else None
        context = f" ({exc.context}{f' started at line {started}' if started not in (None, line) else ''})"
    if "expected a single document" in (exc.context or ""):
        return Problem(line, "invalid YAML: a second document starts here; a scenario file holds one scenario:"
                             " remove the second '---' or split the file")
    hint = ""
    if "'\\t'" in problem or "\t" in problem:
        hint = " YAML indents with spaces, not tabs: replace the tab with spaces."
    elif "mapping values are not allowed" in problem:
        hint = " A value with ': ' in it needs quotes, or a key is indented wrongly."
    elif "expected <block end>" in problem or "did not find expected" in problem:
        hint = " Check the indentation of this line against the lines above."
    elif "<stream end>" in problem or "flow" in (exc.context or ""):
        hint = " A bracket or quote is not closed."
    elif "found undefined alias" in problem:
        hint = " Define the anchor (&name) before using *name."
    return Problem(line, f"invalid YAML: {problem}{context}.{hint}".replace("..", "."))
