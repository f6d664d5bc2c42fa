"""Fixtures shared by every part's tests."""

from __future__ import annotations

import os
import shutil

import pytest


def require_real(what: str, how_to_get_it: str) -> None:
    """A test that needs a missing real component skips locally and fails under CI=true."""
    message = f"{what} is not available: {how_to_get_it}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def real_toxiproxy_bin() -> str:
    """Path of the real `toxiproxy-server` binary (installed by .ci/run from the Go module proxy)."""
    path = shutil.which("toxiproxy-server")
    if path is None:
        require_real(
            "the real toxiproxy-server",
            "run `bash .ci/run` once, or `go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0`"
            " and put it on PATH as toxiproxy-server",
        )
    return path
