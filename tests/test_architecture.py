"""The rule of docs/ARCHITECTURE.md that lint-imports cannot see: only cli.py imports one of our
modules by its name, so every other dependency between parts is a plain import the contracts check."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "harness"
NAME_IMPORTERS = {"import_module", "__import__"}


def _our_module_named(call: ast.Call) -> bool:
    """Whether the call's first argument spells ``harness...``: a literal, or an f-string starting so."""
    if not call.args:
        return False
    name = call.args[0]
    if isinstance(name, ast.JoinedStr) and name.values:
        name = name.values[0]
    return isinstance(name, ast.Constant) and isinstance(name.value, str) and name.value.startswith("harness")


def imports_by_name(source: str, filename: str) -> list[int]:
    """Lines of ``source`` that import one of our modules by its name (importlib or __import__)."""
    lines = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if called in NAME_IMPORTERS and _our_module_named(node):
            lines.append(node.lineno)
    return lines


def test_a_name_import_of_our_module_is_found() -> None:
    source = 'import importlib\nm = importlib.import_module(f"harness.{side}.bugs")\nn = __import__("harness.core")\n'
    assert imports_by_name(source, "x.py") == [2, 3]
    assert imports_by_name('importlib.import_module(user_module)\nimport_module("team.plugin")\n', "y.py") == []


@pytest.mark.xfail(strict=True, reason="harness/scenarios/references.py loads client.bugs and server.bugs by"
                                       " name; the scenarios rework (issue 10) replaces it")
def test_only_the_cli_imports_our_modules_by_name() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != PACKAGE / "cli.py"
        for line in imports_by_name(path.read_text(encoding="utf-8"), str(path))
    ]
    assert found == [], "import these as plain imports (lint-imports checks them) or pass them in"
