"""What every answer under /v1/uploads shares, whichever route (or none) gave it.

Rules of tus 1.0 (https://tus.io/protocols/resumable-upload, "Headers" of the core protocol):
- Tus-Resumable "MUST be included in every request and response except for OPTIONS requests":
  also on a 401, 403, 404 or 405, which auth.py and the router answer without knowing tus.
- X-HTTP-Method-Override "MUST be interpreted as the request's method by the Server, if the header
  is presented. The actual method of the request MUST be ignored" (tus-js-client sends it with
  ``overridePatchMethod`` for environments without PATCH).
And of HTTP (RFC 9110 §15.5.6): a 405 "MUST generate an Allow header field" listing the methods the
resource supports; the router names only those of the first route whose path matched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import BaseRoute, Match

TUS_VERSION = "1.0.0"
UPLOADS_PREFIX = "/v1/uploads"


def is_tus_path(path: str) -> bool:
    return path == UPLOADS_PREFIX or path.startswith(UPLOADS_PREFIX + "/")


def allowed_methods(routes: Sequence[BaseRoute], scope: dict[str, Any]) -> str:
    """Every method one of ``routes`` accepts at this path (for the Allow header of a 405)."""
    methods: set[str] = set()
    for route in routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return ", ".join(sorted(methods))


class TusWire:
    """ASGI middleware for the tus paths: method override in, Tus-Resumable and a full Allow out."""

    def __init__(self, app: Any, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes  # the tus router's, with their full paths

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not is_tus_path(scope["path"]):
            return await self.app(scope, receive, send)
        override = Headers(scope=scope).get("x-http-method-override", "").strip().upper()
        if override:
            scope = {**scope, "method": override}

        async def send_with_tus_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Tus-Resumable", TUS_VERSION)
                if message["status"] == 405:
                    headers["Allow"] = allowed_methods(self.routes, scope)
            await send(message)

        await self.app(scope, receive, send_with_tus_headers)
