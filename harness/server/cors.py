"""CORS for browser clients (tus-js-client, Uppy, a web build of the app): off unless origins are given.

Starlette's CORSMiddleware answers the preflights and marks the answers. A browser lets a script
read only the response headers named in Access-Control-Expose-Headers, and a tus client must read
Location, Upload-Offset and the rest (the headers tusd and tusdotnet expose for the same reason).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

METHODS = ("GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS")
REQUEST_HEADERS = (
    "Authorization", "Content-Type", "Idempotency-Key", "X-Requested-With", "X-HTTP-Method-Override",
    "Tus-Resumable", "Upload-Length", "Upload-Offset", "Upload-Metadata", "Upload-Checksum",
)
RESPONSE_HEADERS = (
    "Location", "Tus-Resumable", "Tus-Version", "Tus-Extension", "Tus-Max-Size", "Tus-Checksum-Algorithm",
    "Upload-Offset", "Upload-Length", "Upload-Metadata", "Upload-Expires", "Media-Id",
    "Idempotent-Replayed", "Retry-After",
)
PREFLIGHT_CACHE_SECONDS = 86400


def origin(value: str) -> str:
    """``scheme://host[:port]`` exactly as a browser sends it in ``Origin``, or ``*`` for any."""
    if value == "*":
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or parts.fragment:
        raise ValueError(f"{value!r} is not an origin; give scheme://host[:port] such as http://localhost:3000, or *")
    return value


def install_cors(app: FastAPI, origins: Sequence[str]) -> None:
    """Allow these origins (none: no CORS at all). Call after every other middleware: CORS is outermost."""
    if not origins:
        return
    app.add_middleware(CORSMiddleware, allow_origins=[origin(o) for o in origins], allow_methods=METHODS,
                       allow_headers=REQUEST_HEADERS, expose_headers=RESPONSE_HEADERS,
                       max_age=PREFLIGHT_CACHE_SECONDS)
