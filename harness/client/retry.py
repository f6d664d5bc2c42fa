"""Retry policy: which results are retried, exponential backoff with full jitter, Retry-After.

Full jitter (delay = uniform(0, min(cap, base * 2**n))) is the variant AWS measured to spread
retries best ("Exponential Backoff And Jitter", AWS Architecture Blog, 2015).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

OK, FAIL, INFO = "ok", "fail", "info"

# Errors raised before a single request byte could reach the server: definitely not applied.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@dataclass(frozen=True)
class RetryPolicy:
    base: float = 0.25
    cap: float = 30.0
    probe_interval: float = 0.5  # first probe delay while offline; grows to probe_cap
    probe_cap: float = 2.0
    max_payment_attempts: int = 3

    def backoff(self, failures: int, rng: random.Random) -> float:
        return rng.uniform(0.0, min(self.cap, self.base * 2 ** max(0, failures - 1)))

    def probe_delay(self, probes: int, rng: random.Random) -> float:
        ceiling = min(self.probe_cap, self.probe_interval * 2 ** min(probes, 16))
        return rng.uniform(ceiling / 2, ceiling)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def outcome_of_error(exc: BaseException) -> str:
    """A transport error's outcome: ``fail`` if nothing was sent, else ``info`` (unknown)."""
    return FAIL if isinstance(exc, NOT_SENT_ERRORS) else INFO


def outcome_of_status(status: int) -> str:
    if 200 <= status < 300:
        return OK
    if 400 <= status < 500:
        return FAIL  # refusals, 409 in progress and 429 are all "not applied by this attempt"
    return INFO  # a 5xx says nothing certain about whether the mutation was applied


def error_code(response: httpx.Response) -> str | None:
    try:
        return body_error_code(response.json())
    except ValueError:
        return None


def body_error_code(body: object) -> str | None:
    """The ``error.code`` of a docs/PROTOCOL.md error body, if it is one."""
    try:
        return str(body["error"]["code"])  # type: ignore[index]
    except (KeyError, TypeError):
        return None


def attempt_error(response: httpx.Response) -> str | None:
    """What the attempt history says about an answer: nothing if 2xx, else its error code."""
    if response.is_success:
        return None
    return error_code(response) or f"HTTP {response.status_code}"


def is_retryable_status(status: int, code: str | None = None) -> bool:
    """Server answers worth retrying; any other 4xx is a refusal, reported and never retried."""
    if status >= 500 or status in (408, 423, 429):  # 423: the server is still busy with that upload
        return True
    return status == 409 and code in (None, "request_in_progress")
