"""What every answer under /v1/uploads shares, whichever route (or none) gave it.

Rules of tus 1.0 (https://tus.io/protocols/resumable-upload, "Headers" of the core protocol):
- Tus-Resumable "MUST be included in every request and response except for OPTIONS requests":
  also on a 401, 403, 404 or 405, which auth.py and the router answer without knowing tus.
- X-HTTP-Method-Override "MUST be interpreted as the request's method by the Server, if the header
  is presented. The actual method of the request MUST be ignored" (tus-js-client sends it with
  ``overridePatchMethod`` for environments without PATCH).
(A 405's Allow, RFC 9110 §15.5.6, is errors.allowed_methods's, the same on every path.)
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers, MutableHeaders

TUS_VERSION = "1.0.0"
UPLOADS_PREFIX = "/v1/uploads"


def is_tus_path(path: str) -> bool:
    return path == UPLOADS_PREFIX or path.startswith(UPLOADS_PREFIX + "/")


class TusWire:
    """ASGI middleware for the tus paths: method override in, Tus-Resumable out (a 405's full Allow
    comes from errors.allowed_methods, as on every path)."""

    def __init__(self, app: Any) -> None:
        self.app = app

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
            await send(message)

        await self.app(scope, receive, send_with_tus_headers)
