"""What the OpenAPI document says beyond FastAPI's defaults, so that /openapi.json *is* the API.

Routes declare their answers with ``responses=`` built here (the one error body of errors.py,
the response headers that matter) and the headers FastAPI does not validate itself (the
Idempotency-Key the idempotency layer checks, the tus headers tus.py parses) with ``openapi_extra=``.
``install`` does the little that only post-processing can: it drops the 422 ``HTTPValidationError``
stubs FastAPI adds to every route with parameters, a body shape this server never sends, and adds
the answers given ahead of every route (a 408 of the protocol layer, a harness fault's status).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Response, Security
from fastapi.security import HTTPBearer
from pydantic import BaseModel

from harness.server.faults import FAULT_STATUSES
from harness.server.openapi_bodies import (  # noqa: F401 (the routes name them openapi.<Body>)
    MUTATION_RESULTS,
    BatchResults,
    BugCatalogue,
    Bugs,
    CustomerHistory,
    Faults,
    Health,
    JobDetails,
    Ledger,
    Schedule,
    TenantCreated,
    UserCreated,
)
from harness.server.tus_wire import TUS_VERSION

MAX_IDEMPOTENCY_KEY = 255

# -- who may call: both are `Authorization: Bearer <token>` (docs/PROTOCOL.md, Conventions) --------
USER_AUTH = [Security(HTTPBearer(auto_error=False, scheme_name="userToken",
                                 description="An office or technician token (POST /admin/tenants/{tid}/users)."))]
ADMIN_AUTH = [Security(HTTPBearer(auto_error=False, scheme_name="adminToken",
                                  description="The admin token given to the server at start (--admin-token)."))]


# -- the one error body ---------------------------------------------------------------------------
class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """``{"error": {"code", "message"}}``, as errors.error_body builds it."""

    error: ErrorDetail


REFUSALS = {
    400: "Malformed request: invalid JSON, a missing or bad header, a body past Upload-Length.",
    401: "Missing, malformed or unknown bearer token.",
    402: "The card was declined.",
    403: "This token's role may not call this route.",
    404: "No such resource visible to this user.",
    408: "The request head or body came too slowly; the connection is closed after this answer.",
    409: "Conflict: this Idempotency-Key is still in progress, the item_id is another user's,"
         " or Upload-Offset is not the server's.",
    410: "The upload expired or was discarded after a checksum mismatch.",
    412: "Tus-Resumable is missing or not 1.0.0 (the answer carries Tus-Version).",
    413: "The body (JSON over 4 MiB) or the announced Upload-Length is too large.",
    415: "A tus PATCH needs Content-Type: application/offset+octet-stream.",
    422: "Well-formed but invalid: validation error, illegal transition, key reused for another request.",
    423: "Another PATCH of this upload is still running.",
    460: "Checksum mismatch (tus checksum extension): the chunk was dropped, or the whole upload discarded.",
}
# Statuses a fault hook of the harness can inject on any /v1/ route (faults.FAULT_STATUSES), with Retry-After.
INJECTED = {status: "Injected by a harness fault hook (POST /admin/tenants/{tid}/faults), never by itself."
            for status in FAULT_STATUSES}


def header(description: str, schema: dict[str, Any] | None = None, required: bool = False) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": schema or {"type": "string"}}


RETRY_AFTER = header("Seconds to wait before retrying (a fault's retry_after).",
                     {"type": "string", "pattern": r"^\d+(\.\d+)?$"})
REPLAYED = header("Present on a stored answer replayed for a repeated Idempotency-Key or item_id.",
                  {"type": "string", "enum": ["true"]})
TUS_RESUMABLE_OUT = header("The tus protocol version.", {"type": "string", "enum": [TUS_VERSION]}, required=True)


def refusals(*statuses: int, body: bool = True, tus: tuple[int, ...] = (),
             headers: dict[int, dict[str, Any]] | None = None) -> dict[int | str, dict[str, Any]]:
    """The error answers of a route; ``body=False`` for HEAD; ``tus``: the statuses that carry Tus-Resumable."""
    answers: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        answer: dict[str, Any] = {"description": REFUSALS[status]}
        if body:
            answer["model"] = ErrorBody
        extra = dict((headers or {}).get(status, {}))
        if status in tus:
            extra["Tus-Resumable"] = TUS_RESUMABLE_OUT
        if status == 412:
            extra["Tus-Version"] = header("The versions this server speaks.", required=True)
        if extra:
            answer["headers"] = extra
        answers[status] = answer
    return answers


def success(status: int, model: type[BaseModel] | None, description: str,
            headers: dict[str, Any] | None = None) -> dict[int | str, dict[str, Any]]:
    answer: dict[str, Any] = {"description": description}
    if model is not None:
        answer["model"] = model
    if headers:
        answer["headers"] = headers
    return {status: answer}


# -- request headers the routes read themselves ---------------------------------------------------
def header_parameter(name: str, description: str, schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": required, "description": description, "schema": schema}


IDEMPOTENCY_KEY = header_parameter(
    "Idempotency-Key", "IETF Idempotency-Key draft: a fresh key (e.g. a UUID) per action, the same on every retry.",
    # The server refuses a key that is empty or only blanks (400), or longer than 255 characters (400).
    {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY, "pattern": r"\S"})


def path_parameters(template: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"\{(\w+)\}", template)]


def mutation_request(template: str, body_schema: dict[str, Any]) -> dict[str, Any]:
    """openapi_extra of a mutation route: its path parameters, the required key, its JSON body."""
    return {"parameters": [*path_parameters(template), IDEMPOTENCY_KEY],
            "requestBody": {"required": True, "content": {"application/json": {"schema": body_schema}}}}


# tus 1.0 headers, https://tus.io/protocols/resumable-upload (Headers; Creation; Checksum)
TUS_RESUMABLE = header_parameter("Tus-Resumable", "The tus version of the request (else 412).",
                                 {"type": "string", "enum": [TUS_VERSION]})
BASE64 = r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?"
METADATA_PAIR = rf"[^\s,]+(?: +{BASE64})?"


def upload_length(maximum: int) -> dict[str, Any]:
    return header_parameter("Upload-Length", f"Size of the whole file in bytes; at most Tus-Max-Size ({maximum}),"
                            " else 413.", {"type": "integer", "minimum": 0, "maximum": maximum})


UPLOAD_METADATA = header_parameter(
    "Upload-Metadata",
    "Comma-separated `key base64(value)` pairs. Required keys: item_id, kind (photo or signature), job_id"
    " (a job visible to the caller, else 404) and sha256 (64 lowercase hex digits of the whole file); optional"
    " filename and signer_name. A missing key, a value that is not base64 of UTF-8, a bad kind or sha256: 400.",
    {"type": "string", "pattern": rf"^ *{METADATA_PAIR} *(?:, *{METADATA_PAIR} *)*$"})
MAX_SIZE_DIGITS = 19  # tus.py's bound on Upload-Offset (a 64-bit size)
UPLOAD_OFFSET = header_parameter("Upload-Offset", "The offset this chunk starts at: the server's (HEAD), else 409.",
                                 {"type": "integer", "minimum": 0, "maximum": 10 ** MAX_SIZE_DIGITS - 1})


def upload_checksum(algorithms: list[str]) -> dict[str, Any]:
    names = "|".join(algorithms)
    return header_parameter("Upload-Checksum", "`<algorithm> <base64 digest>` of this chunk (else 460).",
                            {"type": "string", "pattern": rf"^(?:{names}) +{BASE64}$"}, required=False)


def tus_request(*parameters: dict[str, Any], chunk: bool = False) -> dict[str, Any]:
    """openapi_extra of a tus route: the tus headers it reads, the chunk body of a PATCH."""
    extra: dict[str, Any] = {"parameters": [TUS_RESUMABLE, *parameters]}
    if chunk:  # an empty chunk is allowed (it finishes an upload whose bytes all arrived)
        extra["requestBody"] = {"required": True, "content": {
            "application/offset+octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
    return extra


UPLOAD_EXPIRES = header("When an unfinished upload expires (RFC 9110 date).", required=True)
UPLOAD_OFFSET_OUT = header("The server's offset of the upload.", {"type": "string", "pattern": r"^\d+$"}, required=True)
MEDIA_ID = header("The media record, once the upload is complete.")


def tus_route(status: int, description: str, headers: dict[str, Any], refused: tuple[int, ...],
              extra: dict[str, Any], *, body: bool = True,
              refusal_headers: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Decorator arguments of a tus route: no body on success, its tus headers in and out.

    Every answer under /v1/uploads carries Tus-Resumable (tus_wire.py), but for an injected fault."""
    answers = {**success(status, None, description, {"Tus-Resumable": TUS_RESUMABLE_OUT, **headers}),
               **refusals(*refused, body=body, tus=refused, headers=refusal_headers)}
    # response_class Response: a tus success has no body, where FastAPI would document JSON
    return {"response_class": Response, "responses": answers, "openapi_extra": extra}


def tus_options(max_size: int, extensions: str, algorithms: list[str]) -> dict[str, Any]:
    return tus_route(204, "What this tus server supports.", {
        "Tus-Version": header("Supported tus versions.", {"type": "string", "enum": [TUS_VERSION]}, True),
        "Tus-Max-Size": header("Largest Upload-Length accepted.", {"type": "string", "enum": [str(max_size)]}, True),
        "Tus-Extension": header("Supported extensions.", {"type": "string", "enum": [extensions]}, True),
        "Tus-Checksum-Algorithm": header("Upload-Checksum algorithms.", {"type": "string",
                                                                         "enum": [",".join(algorithms)]}, True),
    }, (401, 403), {})


def tus_creation(max_size: int) -> dict[str, Any]:
    return tus_route(201, "The upload was created (an empty one is complete at once, with its Media-Id).", {
        "Location": header("The upload's URL, /v1/uploads/{upload_id}.",
                           {"type": "string", "pattern": r"^/v1/uploads/[^/]+$"}, True),
        "Upload-Expires": UPLOAD_EXPIRES,
        "Upload-Offset": header("0, for an empty upload only.", {"type": "string", "enum": ["0"]}),
        "Media-Id": MEDIA_ID,
    }, (400, 401, 403, 404, 409, 412, 413, 460), tus_request(upload_length(max_size), UPLOAD_METADATA))


def tus_head() -> dict[str, Any]:
    return tus_route(200, "The upload's offset.", {
        "Upload-Offset": UPLOAD_OFFSET_OUT, "Upload-Length": header("The upload's length.", required=True),
        "Cache-Control": header("Never cached.", {"type": "string", "enum": ["no-store"]}, True),
        "Upload-Expires": UPLOAD_EXPIRES, "Media-Id": MEDIA_ID,
        "Upload-Metadata": header("The Upload-Metadata the upload was created with, if any."),
    }, (401, 403, 404, 410, 412, 423), tus_request(), body=False)


def tus_termination() -> dict[str, Any]:
    return tus_route(204, "The upload was terminated.", {}, (401, 403, 404, 410, 412, 423), tus_request())


def tus_patch(algorithms: list[str]) -> dict[str, Any]:
    offset_if_chunk = header("The server's offset, when the chunk (not the whole file, nor an item id) was refused.",
                             {"type": "string", "pattern": r"^\d+$"})
    return tus_route(204, "The chunk was stored.", {
        "Upload-Offset": UPLOAD_OFFSET_OUT, "Upload-Expires": UPLOAD_EXPIRES, "Media-Id": MEDIA_ID,
    }, (400, 401, 403, 404, 409, 410, 412, 415, 423, 460),
        tus_request(UPLOAD_OFFSET, upload_checksum(algorithms), chunk=True),
        refusal_headers={409: {"Upload-Offset": offset_if_chunk}, 460: {"Upload-Offset": offset_if_chunk}})


CALENDAR_DATE = {"format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}  # reads.py refuses anything else (422)
MEDIA_CONTENT: dict[int | str, dict[str, Any]] = {200: {"description": "The media's bytes.", "headers": {
    "X-Content-SHA256": header("sha256 of the bytes, 64 lowercase hex digits.",
                               {"type": "string", "pattern": "^[0-9a-f]{64}$"}, True)},
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}


def mutation_responses(template: str, status: int, fields: set[str]) -> dict[int | str, dict[str, Any]]:
    """Every answer of a mutation route (idempotency.py, mutations.py); stored answers carry Idempotent-Replayed."""
    replayed = {"Idempotent-Replayed": REPLAYED}
    statuses = [400, 401, 403, 409, 413, 422]
    if any(name.endswith("_id") and name != "item_id" for name in fields | set(re.findall(r"\{(\w+)\}", template))):
        statuses.append(404)  # a job, customer or technician that is not visible
    if template == "/v1/payments":
        statuses.append(402)
    return {**success(status, MUTATION_RESULTS.get(template), "Applied, or the stored answer replayed.", replayed),
            **refusals(*sorted(statuses), headers={s: replayed for s in (402, 404, 422)})}


def switches(bugs: dict[str, Any]) -> dict[str, Any]:
    """The body of PUT /admin/tenants/{tid}/bugs: known seeded bugs only (else 422), each true or false."""
    return {"properties": {name: {"type": "boolean", "description": bug.mistake} for name, bug in bugs.items()},
            "additionalProperties": False}


# -- what only post-processing can do -------------------------------------------------------------
def drop_validation_stubs(spec: dict[str, Any]) -> None:
    """FastAPI documents a 422 ``HTTPValidationError`` on each route with parameters; errors.py never sends it."""
    stub = "#/components/schemas/HTTPValidationError"
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            answer = operation.get("responses", {}).get("422", {})
            if answer.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref") == stub:
                del operation["responses"]["422"]
    schemas = spec.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


def add_answers_of_every_route(spec: dict[str, Any]) -> None:
    """What answers ahead of the routes, on raw ASGI or in the protocol: a 408 for a request that came too
    slowly (read_timeouts.py), on any route; a harness fault's status (faults.py), on any /v1/ route."""
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            body = {} if method == "head" else {"content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
            answers = operation["responses"]
            answers.setdefault("408", {"description": REFUSALS[408], **body})
            if path.startswith("/v1/"):
                for status, text in INJECTED.items():
                    answers.setdefault(str(status), {"description": text, "headers": {"Retry-After": RETRY_AFTER},
                                                     **body})


def install(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        spec = generate()
        drop_validation_stubs(spec)
        add_answers_of_every_route(spec)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
