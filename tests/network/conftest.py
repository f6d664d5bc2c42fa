"""Fixtures of the network tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from differential_helpers import both_servers


@pytest.fixture
def servers(real_toxiproxy_bin: str) -> Iterator[dict[str, httpx.Client]]:
    """A real and an embedded server's API clients, keyed "real" and "embedded"."""
    with both_servers(real_toxiproxy_bin) as clients:
        yield clients
