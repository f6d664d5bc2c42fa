"""JSON request bodies: parsing, the byte limit on what is read, and text that is not Unicode.

A JSON string may hold a lone UTF-16 surrogate escape (``"\\ud83d"``, what a JavaScript client sends
after cutting an emoji in half): Python's ``json`` accepts it (RFC 8259 §8.2 leaves such strings'
behaviour unpredictable), but it cannot be encoded as UTF-8, so SQLite, the request fingerprint
and the JSON answer would all fail on it. It is refused with a 422 naming the field instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import Message, Receive

from harness.server.errors import ApiError

MAX_JSON_BODY = 4 * 1024 * 1024  # far above 500 queued small actions

Path = tuple[str | int, ...]


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"the request body is not valid JSON ({exc}); send a JSON object") from None
    except RecursionError:
        raise ApiError(400, "invalid_json", "the request body nests too deeply; send a flat JSON object") from None


def lone_surrogates(value: Any, path: Path = ()) -> Iterator[Path]:
    """The paths of the strings (values or object keys) in ``value`` that hold a lone surrogate."""
    stack: list[tuple[Path, Any]] = [(path, value)]  # iterative: a body may nest as deep as json allows
    while stack:
        where, node = stack.pop()
        if isinstance(node, str):
            if not is_unicode(node):
                yield where
        elif isinstance(node, dict):
            for key, child in reversed(node.items()):
                if not is_unicode(key):
                    yield (*where, key)
                stack.append(((*where, key), child))
        elif isinstance(node, list):
            stack.extend(((*where, i), child) for i, child in reversed(list(enumerate(node))))


def is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """``text`` with any lone surrogate written as its escape, so a message can name it."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def dotted(path: Path) -> str:
    return ".".join(printable(str(part)) for part in path) or "body"


def lone_surrogate_error(path: Path) -> ApiError:
    return ApiError(422, "validation_error",
                    f"{dotted(path)}: the text holds a lone UTF-16 surrogate (half of a character such as an"
                    " emoji, e.g. \\ud83d without its pair); send whole characters (fix the request and retry)")


def reject_lone_surrogates(value: Any, path: Path = ()) -> None:
    for where in lone_surrogates(value, path):
        raise lone_surrogate_error(where)


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once more than the limit was read; an HTTPException so that FastAPI's own
    body parsing lets it through to the 413 handler instead of turning it into a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"a JSON body is limited to {limit} bytes; send fewer batch items per request")


def limit_body(receive: Receive, limit: int = MAX_JSON_BODY) -> Receive:
    """``receive`` counting the body bytes it hands over: a chunked body has no Content-Length to check."""
    received = 0

    async def receive_at_most() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return receive_at_most
