"""The FastAPI application of the reference server: wiring of storage, routes, faults and errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.server import admin, events, reads, tus
from harness.server.auth import Principal, require_user
from harness.server.cors import install_cors
from harness.server.db import Database
from harness.server.errors import ApiError, describe_validation_errors, error_response, install_error_handlers
from harness.server.faults import DELAY_SCOPE_KEY, FaultInjector
from harness.server.idempotency import Executor, Hold, parse_json
from harness.server.mutations import MUTATIONS, Mutation
from harness.server.upload_locks import UploadLocks

DEFAULT_ADMIN_TOKEN = "dev-admin-token"
DEFAULT_UPLOAD_TTL = 24 * 3600.0
MAX_BATCH_ITEMS = 500
MAX_JSON_BODY = 4 * 1024 * 1024  # far above 500 queued small actions


class ReferenceApp(FastAPI):
    """FastAPI with the fault injector outermost, where it still holds uvicorn's own ``send``."""

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        if json_body_too_large(scope):
            response = error_response(413, "payload_too_large", f"a JSON body is limited to {MAX_JSON_BODY} bytes;"
                                      " send fewer batch items per request")
            return await response(scope, receive, send)
        await self.state.faults(scope, receive, send, super().__call__)


def json_body_too_large(scope: dict) -> bool:
    if scope["path"].startswith("/v1/uploads"):
        return False  # tus has its own limit (Upload-Length)
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

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    for mutation in MUTATIONS:
        add_mutation_route(app, mutation)
    add_nested_schemas_to_openapi(app)

    batch_schema = BatchBody.model_json_schema(ref_template="#/components/schemas/{model}")
    app.state.nested_schemas.update(batch_schema.pop("$defs", {}))

    @app.post("/v1/batch", tags=["mutations"], openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": batch_schema}}}})
    async def batch(request: Request, who: Principal = Depends(require_user)) -> dict[str, Any]:
        try:
            body = BatchBody.model_validate(parse_json(await request.body()))
        except ValidationError as exc:
            raise ApiError(422, "validation_error", describe_validation_errors(exc.errors())) from None
        results = []
        hold = Hold(fault_delay(request))  # a delay fault holds the whole answer after every item committed
        try:
            for item in body.items:
                try:
                    outcome = request.app.state.executor.execute_held(who, item.key, item.method, item.path,
                                                                      item.body, hold)
                    results.append({"key": item.key, "status": outcome.status, "body": outcome.body,
                                    "replayed": outcome.replayed})
                except ApiError as exc:
                    results.append({"key": item.key, "status": exc.status, "body": exc.body(), "replayed": False})
        finally:
            await hold.release()
        return {"results": results}

    app.include_router(reads.router)
    app.include_router(tus.router)
    tus.install(app)
    install_cors(app, cors_origins)  # browser clients; none by default. Last: CORS is the outermost middleware
    app.include_router(admin.router)
    app.include_router(events.router)
    app.router.add_event_handler("shutdown", db.close)
    return app


def fault_delay(request: Request) -> float:
    """Seconds a ``delay`` fault holds this response after its commit (faults.py sets it)."""
    return float(request.scope.get(DELAY_SCOPE_KEY, 0.0))


def add_mutation_route(app: FastAPI, mutation: Mutation) -> None:
    async def mutate(request: Request, who: Principal = Depends(require_user),
                     idempotency_key: str | None = Header(None, description="IETF Idempotency-Key, 1-255 chars")
                     ) -> JSONResponse:
        body = parse_json(await request.body())
        outcome = await request.app.state.executor.execute(
            who, idempotency_key, request.method, request.url.path, body,
            delay=fault_delay(request))
        return JSONResponse(outcome.body, status_code=outcome.status, headers=outcome.headers)

    body_schema = mutation.model.model_json_schema(ref_template="#/components/schemas/{model}")
    app.state.nested_schemas.update(body_schema.pop("$defs", {}))
    schema = {"requestBody": {"required": True, "content": {"application/json": {"schema": body_schema}}}}
    app.add_api_route(mutation.template, mutate, methods=[mutation.method], status_code=mutation.status_code,
                      tags=["mutations"], name=mutation.template, openapi_extra=schema)


def add_nested_schemas_to_openapi(app: FastAPI) -> None:
    """The mutation bodies are validated in the idempotency layer, so their nested models are added here."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        spec = generate()
        spec.setdefault("components", {}).setdefault("schemas", {}).update(app.state.nested_schemas)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]

