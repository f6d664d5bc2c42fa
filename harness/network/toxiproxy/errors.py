"""The API's errors: a message and an HTTP status, worded like the real server's (api.go)."""

from __future__ import annotations


class ApiError(Exception):
    """Answered as ``{"error": message, "status": status}`` with that HTTP status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def wrap(self, detail: str) -> ApiError:
        """Go's joinError: "<this message>: <detail>" with this status."""
        return ApiError(f"{self.message}: {detail}", self.status)


BAD_REQUEST_BODY = ApiError("bad request body", 400)
MISSING_FIELD = ApiError("missing required field", 400)
PROXY_NOT_FOUND = ApiError("proxy not found", 404)
PROXY_ALREADY_EXISTS = ApiError("proxy already exists", 409)
INVALID_STREAM = ApiError("stream was invalid, can be either upstream or downstream", 400)
INVALID_TOXIC_TYPE = ApiError("invalid toxic type", 400)
TOXIC_ALREADY_EXISTS = ApiError("toxic already exists", 409)
TOXIC_NOT_FOUND = ApiError("toxic not found", 404)


def listen_failed(message: str) -> ApiError:
    """A listen address that cannot be opened, with Go's wording.

    The real server answers 500 here; we answer 409 when the address is taken and 400 when it is
    not an address, because bad API input must never get a 5xx (a listed deviation of
    tests/network/test_differential.py).
    """
    return ApiError(message, 409 if "address already in use" in message else 400)
