"""YAML parsing that remembers the line of every key and value (PyYAML's composed nodes keep marks).

PyYAML's composer recurses once per nesting level and shares aliased nodes, so a file nested a
thousand levels deep or an alias bomb ("billion laughs") would crash or exhaust whatever walks the
expanded tree; the loader here refuses both while composing (limits.py), with the line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from harness.scenarios.errors import Path, Problem, ScenarioError, format_path
from harness.scenarios.limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_PROBLEMS, MAX_VALUES, too_big

# YAML 1.1 (PyYAML) reads these unquoted words as booleans or null: worth a hint when a word was meant.
_SURPRISING_SCALARS = {"yes", "no", "on", "off", "y", "n", "~", "null"}
_FLOAT_TAG = "tag:yaml.org,2002:float"
_MERGE_TAG = "tag:yaml.org,2002:merge"  # `<<: *defaults` (https://yaml.org/type/merge.html)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # only a "\ud800" escape can make one


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

    def written(self, path: Path) -> str | None:
        """The unquoted text as written at ``path``, if it was a plain scalar."""
        return self.scalar_texts.get(tuple(path))


class _Refused(Exception):
    """A limit of limits.py was crossed while composing; carries the problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader that measures every node as it is composed: its values and its levels,
    both counted with aliases expanded, and refuses a node past MAX_VALUES or MAX_DEPTH."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0
        self._measured: dict[int, tuple[int, int]] = {}  # id(collection node) -> (values, levels)
        self._aliases = False

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)  # the anchored node itself, shared
            if not isinstance(node, yaml.ScalarNode) and id(node) not in self._measured:
                raise _Refused(Problem(line, f"alias *{event.anchor} is used inside its own anchor"
                                             f" &{event.anchor}, so the value would contain itself:"
                                             " point the alias at another anchor or write the value out"))
            self._aliases = True
            return node
        collection = isinstance(event, yaml.CollectionStartEvent)
        if collection:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise _Refused(_too_deep(line))
        node = super().compose_node(parent, index)
        if collection:
            self._depth -= 1
            self._measure(node, line)
        return node

    def _measure(self, node: yaml.Node, line: int) -> None:
        children = node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
        values, levels = 1, 1
        for child in children:
            child_values, child_levels = self._measured.get(id(child), (1, 0))
            values += child_values
            levels = max(levels, child_levels + 1)
        if levels > MAX_DEPTH:  # only aliases can get here: each of them adds the levels of its anchor
            raise _Refused(_too_deep(line))
        if values > MAX_VALUES:
            cause = ("its aliases (*name) repeat whole lists or mappings (an alias bomb?): write the values out"
                     " or repeat fewer" if self._aliases else "split the scenario into several files")
            raise _Refused(Problem(line, f"this value holds more than {MAX_VALUES:,} values"
                                         f" once expanded; {cause}"))
        self._measured[id(node)] = (values, levels)


def _too_deep(line: int) -> Problem:
    return Problem(line, f"lists and mappings are nested more than {MAX_DEPTH} levels deep here (a scenario"
                         " needs at most 6 levels): look for an unclosed '[' or '{', or lines indented ever further")


def parse_yaml(text: str, source: str) -> tuple[Any, Marks]:
    """The document's data and the marks of its nodes; ScenarioError on a syntax error or duplicate key."""
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError(source, [Problem(None, too_big(len(text), "characters"))])
    try:
        loader = _BoundedLoader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, found before parsing
        raise ScenarioError(source, [_character_problem(exc, text)]) from None
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
    except _Refused as exc:
        raise ScenarioError(source, [exc.problem]) from None
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError(source, [_syntax_problem(exc)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(source, [Problem(None, f"invalid YAML: {' '.join(str(exc).split())}")]) from None
    finally:
        loader.dispose()
    return data, marks


def _walk(loader: yaml.SafeLoader, node: yaml.Node, path: Path, marks: Marks, problems: list[Problem]) -> None:
    if len(problems) > MAX_PROBLEMS:
        return
    line = node.start_mark.line + 1
    marks.value_lines.setdefault(path, line)
    if isinstance(node, yaml.ScalarNode):
        if node.style is None:  # plain (unquoted) scalars are the ones YAML may reinterpret
            marks.scalar_texts[path] = node.value
        problem = _scalar_problem(loader, node, path)
        if problem:
            problems.append(Problem(line, problem))
    elif isinstance(node, yaml.MappingNode):
        for key, key_node, value_node in _pairs(loader, node, problems):
            marks.key_lines[path + (key,)] = key_node.start_mark.line + 1
            marks.value_lines[path + (key,)] = value_node.start_mark.line + 1
            _walk(loader, value_node, path + (key,), marks, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            marks.key_lines[path + (index,)] = child.start_mark.line + 1
            _walk(loader, child, path + (index,), marks, problems)


def _pairs(loader: yaml.SafeLoader, node: yaml.MappingNode,
           problems: list[Problem]) -> list[tuple[Any, yaml.Node, yaml.Node]]:
    """The mapping's (key, key node, value node), merge keys (``<<``) applied as PyYAML applies them:
    a key written in the mapping wins over a merged one. A key written twice is a problem."""
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            problems.append(Problem(line, "a key must be a word or a number, not a list or a mapping:"
                                          " write `key: value`"))
            continue
        key = _key(loader, key_node)
        if key in seen:
            problems.append(Problem(line, f"duplicate key {key!r} (first at line {seen[key]}); keep only one"))
        seen.setdefault(key, line)
    loader.flatten_mapping(node)  # the merged pairs first, then the mapping's own: the last one wins
    pairs: dict[Any, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            key = _key(loader, key_node)
            pairs.pop(key, None)
            pairs[key] = (key_node, value_node)
    return [(key, key_node, value_node) for key, (key_node, value_node) in pairs.items()]


def _key(loader: yaml.SafeLoader, key_node: yaml.ScalarNode) -> Any:
    key = loader.construct_object(key_node)
    return key if isinstance(key, (str, int, float, bool)) or key is None else str(key)


def _scalar_problem(loader: yaml.SafeLoader, node: yaml.ScalarNode, path: Path) -> str | None:
    if node.tag == _FLOAT_TAG:
        value = loader.construct_object(node)
        if isinstance(value, float) and not math.isfinite(value):
            read = "not a number" if math.isnan(value) else "infinity"
            return (f"{format_path(path)}: {node.value} is not a finite number (YAML reads it as {read});"
                    " write a plain number, e.g. 30")
    elif node.style == '"' and _LONE_SURROGATE.search(node.value):
        escape = f"\\u{ord(_LONE_SURROGATE.search(node.value).group()):04x}"  # type: ignore[union-attr]
        return (f"{format_path(path)}: {escape} is half of a UTF-16 surrogate pair, not a character;"
                " write the character itself, or its \\U0001xxxx escape")
    return None


def _character_problem(exc: yaml.reader.ReaderError, text: str) -> Problem:
    line = text.count("\n", 0, exc.position) + 1
    code = exc.character if isinstance(exc.character, int) else ord(exc.character)
    hint = " (a NUL byte: is it a binary file?)" if code == 0 else ""
    return Problem(line, f"invalid YAML: the character U+{code:04X} is not allowed in a YAML file{hint};"
                         " delete it, or write it as an escape inside double quotes")


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
    elif "could not determine a constructor" in problem:
        hint = " Remove the tag (!name or !!name): a scenario is plain YAML."
    return Problem(line, f"invalid YAML: {problem}{context}.{hint}".replace("..", "."))
