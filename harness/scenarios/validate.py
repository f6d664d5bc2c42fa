"""Schema validation of a parsed scenario, with each jsonschema error turned into a fix-it message."""

from __future__ import annotations

import datetime
import functools
import json
import re
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from harness.scenarios.errors import Problem, did_you_mean, format_path
from harness.scenarios.limits import MAX_PROBLEMS
from harness.scenarios.yaml_marks import Marks

TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping (key: value lines)",
    "array": "a list (lines starting with '- ', or [a, b])",
    "null": "nothing",
}


@functools.cache
def scenario_schema() -> dict[str, Any]:
    """The published schema (harness/scenarios/schema.json)."""
    return json.loads(resources.files("harness.scenarios").joinpath("schema.json").read_text(encoding="utf-8"))


@functools.cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(scenario_schema())


def schema_problems(data: Any, marks: Marks) -> list[Problem]:
    problems: list[Problem] = []
    for error in _validator().iter_errors(data):
        problems += _describe(error, marks)
        if len(problems) > MAX_PROBLEMS:
            break  # enough to show the first and say there are more; the rest would only cost time
    return problems


def _describe(error: ValidationError, marks: Marks) -> list[Problem]:
    if error.validator == "anyOf" and _is_step_kind_check(error):
        keys = [alternative["required"][0] for alternative in error.validator_value]
        has = f" (it has: {', '.join(map(str, error.instance))})" if error.instance else ""
        where = format_path(tuple(error.absolute_path))
        line = marks.line(tuple(error.absolute_path), scalar=False)
        return [Problem(line, f"{where}: a step needs one of: {', '.join(keys)}{has}", rank=2)]
    if error.validator in ("anyOf", "oneOf") and error.context:
        return [problem for sub in _branch_errors(error) for problem in _describe(sub, marks)]
    path = tuple(error.absolute_path)
    where = format_path(path)
    instance = error.instance
    scalar = not isinstance(instance, (dict, list))
    line = marks.line(path, scalar=scalar)
    validator, expected = error.validator, error.validator_value

    if validator == "additionalProperties" and expected is False:
        return _unknown_keys(error, marks)
    if validator == "required":
        return [_missing_key(error, key, marks) for key in expected if key not in instance]
    if validator in ("enum", "const"):
        choices = expected if validator == "enum" else [expected]
        written = marks.surprising_scalar(path)
        shown = repr(written) + f" (YAML reads it as {json.dumps(instance)})" if written else repr(instance)
        hint = did_you_mean(written if written else instance, choices)
        return [Problem(line, f"{where}: {shown} is not one of {list(choices)}.{hint}")]
    if validator == "type" and not path:
        got = _kind(instance, marks, path)
        shape = "a scenario is a mapping with name, description, setup and steps"
        return [Problem(line, f"(top level): {shape}; got {got}")]
    if validator == "type":
        about = _about(error) if isinstance(expected, list) else ""  # "a or b": say what each is for
        got = _kind(instance, marks, path)
        return [Problem(line, f"{where}: expected {_type_words(expected)}, got {got}{about}")]
    if validator == "pattern":
        hint = _slug_hint(instance, expected)
        return [Problem(line, f"{where}: {instance!r} is not valid{_about(error, ': ')}{hint}")]
    if validator == "not" and error.schema.get("not", {}).get("pattern") == "\n":
        return [Problem(line, f"{where}: must be a single line (a plain value, not '>' or '|'){_about(error, ': ')}")]
    if validator in ("minItems", "minProperties"):
        what = "item" if validator == "minItems" else "key"
        plural = "s" if expected > 1 else ""
        return [Problem(line, f"{where}: needs at least {expected} {what}{plural}{_about(error)}")]
    if validator == "maxLength":
        return [Problem(line, f"{where}: too long: at most {expected} characters{_about(error)}")]
    if validator == "uniqueItems":
        return [Problem(line, f"{where}: has the same item twice; list each once")]
    return [Problem(line, f"{where}: {error.message}{_about(error)}")]


def _is_step_kind_check(error: ValidationError) -> bool:
    return all(set(alternative) == {"required"} for alternative in error.validator_value)


def _branch_errors(error: ValidationError) -> list[ValidationError]:
    """For "a or b" schemas: the errors of the branch of the value's own type (e.g. the mapping
    form when a mapping was written); else the word list it missed; else one "expected a or b"."""
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    same_type = [
        errors for errors in branches.values()
        if not any(e.validator == "type" and not e.relative_path for e in errors)
    ]
    if same_type:
        return same_type[0]
    enums = [e for e in error.context if e.validator == "enum" and not e.relative_path]
    if enums:
        return enums[:1]
    types: list[str] = []
    for sub in error.context:
        if sub.validator == "type" and not sub.relative_path:
            types += sub.validator_value if isinstance(sub.validator_value, list) else [sub.validator_value]
    return [ValidationError(
        error.message, validator="type", validator_value=types, instance=error.instance,
        schema=error.schema, path=error.absolute_path,
    )]


def _unknown_keys(error: ValidationError, marks: Marks) -> list[Problem]:
    path = tuple(error.absolute_path)
    where = format_path(path)
    allowed = list(error.schema.get("properties", {}))
    title = error.schema.get("title")
    step_keys = _step_keys()
    problems = []
    for key in error.instance:
        if key in allowed:
            continue
        line = marks.line(path + (key,), scalar=False)
        if title and title.endswith(" step") and key in step_keys:
            pair = [k for k in error.instance if k in step_keys and k in allowed + [key]]
            message = f"{where}: {' and '.join(repr(k) for k in pair)} cannot share one step; write them as two steps"
        else:
            in_what = f" in {_article(title)} {title}" if title else ""
            hint = did_you_mean(key, allowed)
            message = f"{where}: unknown key {key!r}{in_what}.{hint} Expected one of: {', '.join(allowed)}."
        problems.append(Problem(line, message))
    return problems


def _missing_key(error: ValidationError, key: str, marks: Marks) -> Problem:
    path = tuple(error.absolute_path)
    where = format_path(path)
    line = marks.line(path, scalar=False)
    prop = _resolve(error.schema.get("properties", {}).get(key, {}))
    if key == "args" and prop.get("required"):
        action = error.instance.get("do") or error.instance.get("office")
        wanted = ", ".join(f"{k}: ..." for k in prop["required"])
        return Problem(line, f"{where}: {action} needs args: {{{wanted}}}", rank=1)
    title = error.schema.get("title") or ""
    owner = f"{_article(title)} {title} needs" if title.endswith(" step") else "missing required key"
    description = prop.get("description")
    return Problem(line, f"{where}: {owner} {key!r}{f' ({description})' if description else ''}", rank=1)


def _resolve(schema: Any) -> dict[str, Any]:
    """Follow local ``$ref``s, keeping the outermost description."""
    if not isinstance(schema, dict):
        return {}
    resolved = dict(schema)
    while "$ref" in resolved:
        target = scenario_schema()["$defs"][resolved.pop("$ref").rsplit("/", 1)[-1]]
        resolved = {**target, **resolved}
    return resolved


@functools.cache
def _step_keys() -> frozenset[str]:
    step = scenario_schema()["$defs"]["step"]
    return frozenset(alternative["required"][0] for alternative in step["anyOf"])


def _about(error: ValidationError, joiner: str = ": ") -> str:
    description = error.schema.get("description")
    return f"{joiner}{description}" if description else ""


def _type_words(expected: str | list[str]) -> str:
    names = expected if isinstance(expected, list) else [expected]
    return " or ".join(dict.fromkeys(TYPE_WORDS.get(name, name) for name in names))


def _kind(instance: Any, marks: Marks, path: tuple[Any, ...]) -> str:
    written = marks.surprising_scalar(path)
    if written is not None:
        read = json.dumps(instance)
        return f"{read} (YAML reads unquoted {written} as {read}; quote it: '{written}')"
    if isinstance(instance, bool):
        return json.dumps(instance)
    if instance is None:
        return "nothing (an empty value)"
    if isinstance(instance, str):
        return f"the text {instance!r}"
    if isinstance(instance, (int, float)):
        return f"the number {instance}"
    if isinstance(instance, dict):
        return "a mapping"
    if isinstance(instance, list):
        return "a list"
    if isinstance(instance, datetime.date):  # YAML 1.1 reads an unquoted 2024-05-01 as a date (datetime too)
        text = marks.written(path) or str(instance)
        return f"a date ({text}; quote it to make it text: '{text}')"
    # a tag (!!binary, !!set, ...) made something else
    return {bytes: "binary data (!!binary)", set: "a set (!!set)"}.get(type(instance), type(instance).__name__)


def _slug_hint(value: str, pattern: str) -> str:
    """`` Did you mean 'basement-photo'?`` for ``Basement Photo`` when the pattern wants an id."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", value.strip().lower()).strip("-")
    return f" Did you mean {slug!r}?" if slug and slug != value and re.search(pattern, slug) else ""


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"
