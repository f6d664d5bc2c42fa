"""Fixtures of the reference server's tests: one in-process server per module, a fresh tenant per test."""

from __future__ import annotations

from typing import Iterator

import pytest

from harness.server.running import InProcessServer

from .support import Seed, make_seed


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    with InProcessServer(tmp_path_factory.mktemp("server") / "server.db", admin_token="test-admin") as running:
        yield running


@pytest.fixture
def seed(server: InProcessServer) -> Iterator[Seed]:
    made = make_seed(server.url, server.admin_token)
    yield made
    for c in (made.admin, made.office, made.tech, made.other_tech):
        c.close()
