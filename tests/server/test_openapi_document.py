"""The OpenAPI document, read as a client reads it: what test_schemathesis.py relies on, named one by one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from harness.server.app import create_app
from harness.server.mutations import MUTATIONS
from harness.testing import require_real

ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    app = create_app(Path(tmp_path_factory.mktemp("document")) / "server.db")
    yield app.openapi()
    app.state.db.close()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def parameter(operation: dict[str, Any], name: str, where: str = "header") -> dict[str, Any]:
    found = [p for p in operation.get("parameters", []) if p["name"] == name and p["in"] == where]
    assert found, f"{name} ({where}) is not declared"
    return found[0]


def test_the_document_is_valid_openapi(spec: dict[str, Any]) -> None:
    try:
        from openapi_spec_validator import validate
    except ImportError:
        require_real("openapi-spec-validator", "pip install openapi-spec-validator")
    validate(spec)  # raises, naming the place, on an invalid document


def test_every_path_parameter_is_declared(spec: dict[str, Any]) -> None:
    for method, path, operation in operations(spec):
        for name in re.findall(r"\{(\w+)\}", path):
            assert parameter(operation, name, "path")["required"] is True, f"{method} {path}"


def test_every_mutation_requires_an_idempotency_key(spec: dict[str, Any]) -> None:
    for mutation in MUTATIONS:
        operation = spec["paths"][mutation.template][mutation.method.lower()]
        key = parameter(operation, "Idempotency-Key")
        assert key["required"] is True and key["schema"]["maxLength"] == 255
        assert "Idempotent-Replayed" in operation["responses"][str(mutation.status_code)]["headers"]


def test_every_refusal_has_the_error_body(spec: dict[str, Any]) -> None:
    for method, path, operation in operations(spec):
        statuses = [s for s in operation["responses"] if s.startswith(("4", "5"))]
        assert "401" in statuses or path == "/health", f"{method} {path}"
        for status in statuses:
            answer = operation["responses"][status]
            if method == "HEAD":
                assert "content" not in answer, f"{method} {path} {status}: a HEAD answer has no body"
            else:
                assert answer["content"]["application/json"]["schema"] == ERROR_BODY, f"{method} {path} {status}"
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_the_tus_headers_are_declared(spec: dict[str, Any]) -> None:
    uploads, upload = spec["paths"]["/v1/uploads"], spec["paths"]["/v1/uploads/{upload_id}"]
    for operation in (uploads["post"], upload["head"], upload["patch"], upload["delete"]):
        assert parameter(operation, "Tus-Resumable")["schema"]["enum"] == ["1.0.0"]
        assert "412" in operation["responses"]
    assert parameter(uploads["post"], "Upload-Length")["required"] is True
    assert parameter(uploads["post"], "Upload-Metadata")["required"] is True
    assert parameter(upload["patch"], "Upload-Offset")["required"] is True
    assert parameter(upload["patch"], "Upload-Checksum")["required"] is False
    assert list(upload["patch"]["requestBody"]["content"]) == ["application/offset+octet-stream"]
    assert uploads["post"]["responses"]["201"]["headers"]["Location"]["required"] is True
    assert upload["patch"]["responses"]["204"]["headers"]["Upload-Offset"]["required"] is True
    assert "Upload-Offset" in upload["patch"]["responses"]["409"]["headers"]


def test_injected_faults_are_documented_with_retry_after(spec: dict[str, Any]) -> None:
    for method, path, operation in operations(spec):
        if path.startswith("/v1/"):
            assert "Retry-After" in operation["responses"]["503"]["headers"], f"{method} {path}"
