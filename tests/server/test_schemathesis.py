"""schemathesis against the reference server's own OpenAPI document: the document is the API.

Every check of schemathesis (status codes, content types, response bodies and headers, negative data
refused, schema-valid data accepted, missing required headers, auth enforced, Allow on a 405, ...)
over its examples, coverage and fuzzing phases, then its stateful phase (calls chained through their
responses), once for each role's token, against a live server. Settings, seed, and the statuses the
protocols add to schemathesis's defaults are in schemathesis.toml, shared with the CLI run
(schemathesis_server.py); its hooks give each new action a fresh Idempotency-Key and item_id, as a
device does. Bounded here (FUZZED_CASES, FORBIDDEN, STATEFUL_SCENARIOS) to stay well under a minute.

The schema is built at import (pytest parametrizes by operation while collecting) from the very
function that serves /openapi.json; ``test_the_document_tested_is_the_one_served`` holds them equal.
``schemathesis.pytest.from_fixture`` would load it from the live server instead, but it fails on
pytest 9 (it sets ``Function._nodeid``, which pytest 9 no longer has).
"""

from __future__ import annotations

import copy
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any, Iterator

import httpx
import hypothesis
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from harness.server.app import create_app

from .schemathesis_server import CONFIG, ROLE_TOKENS, seeded_server

HERE = Path(__file__).parent
FUZZED_CASES = 10  # per operation and role, beside the examples and coverage phases (the CLI run: 25)
STATEFUL_SCENARIOS = 10
# The operations a role's token may not call: they answer 403 before reading anything else, so a few
# fuzzed cases show that the 403 is documented; the coverage phase there would only repeat it.
FORBIDDEN = {
    "technician": {"include-tag": "admin (harness)", "include-name": ["POST /v1/customers", "POST /v1/jobs"]},
    "office": {"include-tag": "admin (harness)"},
    "admin": {"include-path-regex": "^/v1/"},
}


def served_document() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Path(tmp) / "document.db")
        try:
            return app.openapi()
        finally:
            app.state.db.close()


def role_config(role: str) -> SchemathesisConfig:
    """schemathesis.toml with this role's token and bounds, its hooks file named by an absolute path."""
    data = tomllib.loads(CONFIG.read_text())
    data["hooks"] = str(HERE / Path(data["hooks"]).name)
    data["generation"]["max-examples"] = FUZZED_CASES
    data.setdefault("operations", []).append(
        {**FORBIDDEN[role], "phases": {"coverage": {"enabled": False}}, "generation": {"max-examples": 3}})
    token = ROLE_TOKENS[role]
    previous = os.environ.get("ST_TOKEN")
    os.environ["ST_TOKEN"] = token  # ${ST_TOKEN} is resolved while the config is read
    try:
        return SchemathesisConfig.from_dict(data)
    finally:
        if previous is None:
            del os.environ["ST_TOKEN"]
        else:
            os.environ["ST_TOKEN"] = previous


DOCUMENT = served_document()
SCHEMAS = {role: schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT), config=role_config(role)) for role in ROLE_TOKENS}


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with seeded_server(tmp_path_factory.mktemp("schemathesis") / "server.db") as url:
        for schema in SCHEMAS.values():
            schema.config.update(base_url=url)  # for the state machines
        yield url


def check_operation(case: schemathesis.Case, live_url: str) -> None:
    case.call_and_validate(base_url=live_url)


test_technician_calls = SCHEMAS["technician"].parametrize()(check_operation)
test_office_calls = SCHEMAS["office"].parametrize()(check_operation)
test_admin_calls = SCHEMAS["admin"].parametrize()(check_operation)


@pytest.mark.parametrize("role", ROLE_TOKENS)
def test_call_sequences(role: str, live_url: str) -> None:
    SCHEMAS[role].as_state_machine().run(settings=hypothesis.settings(
        max_examples=STATEFUL_SCENARIOS, stateful_step_count=6, derandomize=True, database=None, deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck)))


def test_the_document_tested_is_the_one_served(live_url: str) -> None:
    assert httpx.get(f"{live_url}/openapi.json").json() == DOCUMENT
