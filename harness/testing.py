"""Helpers for test suites built on the harness (ours and a team's own Python scenarios)."""

from __future__ import annotations

import os

import pytest


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_real(what: str, how_to_get_it: str) -> None:
    """A test that needs a missing real component skips locally and fails under CI=true."""
    message = f"{what} is not available: {how_to_get_it}"
    if running_in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)
