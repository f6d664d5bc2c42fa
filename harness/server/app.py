"""The FastAPI application of the reference server: wiring of storage, routes, faults and errors."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.types import Receive, Scope, Send

from harness.server import admin, events, openapi, reads, tus
from harness.server.auth import Principal, require_user
from harness.server.cors import install_cors
from harness.server.db import Database
from harness.server.errors import (
    ApiError,
    describe_validation_errors,
    error_body,
    error_response,
    install_error_handlers,
)
from harness.server.faults import DELAY_SCOPE_KEY, FaultInjector
from harness.server.idempotency import Executor, Hold
from harness.server.json_body import (
    MAX_JSON_BODY,
    BodyTooLarge,
    limit_body,
    lone_surrogate_error,
    lone_surrogates,
    parse_json,
)
from harness.server.mutations import MUTATIONS, Mutation
from harness.server.upload_locks import UploadLocks

DEFAULT_ADMIN_TOKEN = "dev-admin-token"
DEFAULT_UPLOAD_TTL = 24 * 3600.0
MAX_BATCH_ITEMS = 500
log = logging.getLogger(__name__)


class ReferenceApp(FastAPI):
    """FastAPI with the fault injector outermost, where it still holds uvicorn's own ``send``."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        if not is_upload(scope):  # tus has its own limit (Upload-Length)
            if json_body_too_large(scope):
                response = error_response(413, "payload_too_large", BodyTooLarge(MAX_JSON_BODY).detail)
                return await response(scope, receive, send)
            receive = limit_body(receive, MAX_JSON_BODY)
        await self.state.faults(scope, receive, send, super().__call__)


def is_upload(scope: Scope) -> bool:
    return scope["path"].startswith("/v1/uploads")


def json_body_too_large(scope: Scope) -> bool:
    """By the announced Content-Length, answered before a byte of the body is read."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return not value.isdigit() or int(value) > MAX_JSON_BODY
    return False


class BatchItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str | None = None
    method: str = "POST"
    path: str
    body: Any = None


class BatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[BatchItem] = Field(max_length=MAX_BATCH_ITEMS)


def create_app(db_path: str | Path, admin_token: str = DEFAULT_ADMIN_TOKEN,
               upload_ttl: float = DEFAULT_UPLOAD_TTL, cors_origins: tuple[str, ...] = ()) -> ReferenceApp:
    app = ReferenceApp(title="offline-harness reference server", version="1.0",
                       description="Field-service backend with Idempotency-Key mutations, tus uploads and a ledger.")
    db = Database(db_path)
    app.state.db = db
    app.state.admin_token = admin_token
    app.state.upload_ttl = upload_ttl
    app.state.executor = Executor(db)
    app.state.faults = FaultInjector(db)
    app.state.upload_locks = UploadLocks()
    app.state.nested_schemas = {}
    install_error_handlers(app)

    @app.get("/health", tags=["health"], response_model=None,
             responses=openapi.success(200, openapi.Health, "The server is up."))
    def health() -> dict[str, str]:
        return {"status": "ok"}

    for mutation in MUTATIONS:
        add_mutation_route(app, mutation)
    add_nested_schemas_to_openapi(app)

    batch_schema = BatchBody.model_json_schema(ref_template="#/components/schemas/{model}")
    app.state.nested_schemas.update(batch_schema.pop("$defs", {}))

    @app.post("/v1/batch", tags=["mutations"], openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": batch_schema}}}}, dependencies=openapi.USER_AUTH, response_model=None,
              responses={**openapi.success(200, openapi.BatchResults, "One result per item, in order."),
                         **openapi.refusals(400, 401, 403, 413, 422)})
    async def batch(request: Request, who: Principal = Depends(require_user)) -> dict[str, Any]:
        data = parse_json(await request.body())
        for where in lone_surrogates(data):
            if not is_item_body(where):  # inside an item's body it is that item's refusal alone
                raise lone_surrogate_error(where)
        try:
            body = BatchBody.model_validate(data)
        except ValidationError as exc:
            raise ApiError(422, "validation_error", describe_validation_errors(exc.errors())) from None
        results = []
        hold = Hold(fault_delay(request))  # a delay fault holds the whole answer after every item committed
        try:
            for item in body.items:
                results.append(execute_item(request.app.state.executor, who, item, hold))
        finally:
            await hold.release()
        return {"results": results}

    app.include_router(reads.router, dependencies=openapi.USER_AUTH)
    app.include_router(tus.router, dependencies=openapi.USER_AUTH)
    tus.install(app)
    install_cors(app, cors_origins)  # browser clients; none by default. Last: CORS is the outermost middleware
    app.include_router(admin.router, dependencies=openapi.ADMIN_AUTH)
    app.include_router(events.router, dependencies=openapi.ADMIN_AUTH)
    openapi.install(app)
    app.router.add_event_handler("shutdown", db.close)
    return app


def is_item_body(path: tuple[str | int, ...]) -> bool:
    return len(path) >= 3 and path[0] == "items" and path[2] == "body"


def execute_item(executor: Executor, who: Principal, item: BatchItem, hold: Hold) -> dict[str, Any]:
    """One batch item's result. The items before it are committed, so whatever goes wrong here is
    answered for this item alone: an error answer for the whole batch would hide what was applied."""
    try:
        outcome = executor.execute_held(who, item.key, item.method, item.path, item.body, hold)
    except ApiError as exc:
        return {"key": item.key, "status": exc.status, "body": exc.body(), "replayed": False}
    except Exception:
        log.exception("batch item %s %s failed", item.method, item.path)
        return {"key": item.key, "status": 500, "replayed": False,
                "body": error_body("internal_error", "this item failed on the server and was not applied; retry it")}
    return {"key": item.key, "status": outcome.status, "body": outcome.body, "replayed": outcome.replayed}


def fault_delay(request: Request) -> float:
    """Seconds a ``delay`` fault holds this response after its commit (faults.py sets it)."""
    return float(request.scope.get(DELAY_SCOPE_KEY, 0.0))


def add_mutation_route(app: FastAPI, mutation: Mutation) -> None:
    async def mutate(request: Request, who: Principal = Depends(require_user),
                     idempotency_key: str | None = Header(None, include_in_schema=False)  # openapi.IDEMPOTENCY_KEY
                     ) -> JSONResponse:
        body = parse_json(await request.body())
        outcome = await request.app.state.executor.execute(
            who, idempotency_key, request.method, request.url.path, body,
            delay=fault_delay(request))
        return JSONResponse(outcome.body, status_code=outcome.status, headers=outcome.headers)

    body_schema = mutation.model.model_json_schema(ref_template="#/components/schemas/{model}")
    app.state.nested_schemas.update(body_schema.pop("$defs", {}))
    app.add_api_route(mutation.template, mutate, methods=[mutation.method], status_code=mutation.status_code,
                      tags=["mutations"], name=mutation.template, dependencies=openapi.USER_AUTH,
                      openapi_extra=openapi.mutation_request(mutation.template, body_schema),
                      responses=openapi.mutation_responses(mutation.template, mutation.status_code,
                                                           set(mutation.model.model_fields)))


def add_nested_schemas_to_openapi(app: FastAPI) -> None:
    """The mutation bodies are validated in the idempotency layer, so their nested models are added here."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        spec = generate()
        spec.setdefault("components", {}).setdefault("schemas", {}).update(app.state.nested_schemas)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]

