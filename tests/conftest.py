"""Fixtures shared by every part's tests."""

from __future__ import annotations

import shutil

import pytest

from harness.testing import require_real


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
