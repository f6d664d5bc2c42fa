"""One HTTP request recorded in the attempt history: invoked, then ended ok / fail / info."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import httpx

from harness.client.retry import attempt_error, outcome_of_error, outcome_of_status, parse_retry_after
from harness.client.store import ItemKey, Store
from harness.client.transport import working_for


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class Sender:
    def __init__(self, http: httpx.AsyncClient, store: Store, now: Callable[[], str]) -> None:
        self.http, self.store, self.now = http, store, now

    async def send(self, op: str, method: str, path: str, items: Sequence[ItemKey], *, end: bool = True,
                   **kwargs: Any) -> tuple[httpx.Response, list[int]]:
        """Send one request. Transport errors end the attempts (fail/info) and are re-raised.

        With ``end=False`` a response's attempts are left open for the caller to end (a batch
        knows each item's outcome only from its own result).
        """
        attempt_ids = self.store.begin_attempts(items, op, method, path, self.now())
        with working_for([item_id for item_id, _ in items if item_id]):
            try:
                response = await self.http.request(method, path, **kwargs)
            except httpx.HTTPError as exc:
                outcome = outcome_of_error(exc)
                self.store.end_attempts([(a, outcome, None, describe(exc)) for a in attempt_ids], self.now())
                raise
        if end:
            outcome = outcome_of_status(response.status_code)
            self.store.end_attempts(
                [(a, outcome, response.status_code, attempt_error(response)) for a in attempt_ids], self.now(),
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        return response, attempt_ids
