"""Scripted fake-server behaviours for respx routes (a flaky network in one list)."""

from __future__ import annotations

import json
from typing import Any, Callable

import httpx

Step = Any  # an exception class or instance, an httpx.Response, or a callable(request) -> Response


def batch_ok(request: httpx.Request, status: int = 201) -> httpx.Response:
    """Answer a batch as the server would: one result per item, keyed like the request."""
    items = json.loads(request.content)["items"]
    return httpx.Response(200, json={"results": [
        {"key": item["key"], "status": status, "body": {"item_id": item["body"]["item_id"]}} for item in items
    ]})


def batch_each(status: int, body: dict[str, Any]) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        items = json.loads(request.content)["items"]
        return httpx.Response(200, json={"results": [
            {"key": item["key"], "status": status, "body": body} for item in items
        ]})
    return answer


def script(*steps: Step) -> Callable[[httpx.Request], httpx.Response]:
    """Play the steps in order, then repeat the last one forever; records every request seen."""
    remaining = list(steps)

    def side_effect(request: httpx.Request) -> httpx.Response:
        side_effect.requests.append(request)  # type: ignore[attr-defined]
        step = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        if isinstance(step, type) and issubclass(step, Exception):
            raise step("scripted failure", request=request)
        if isinstance(step, Exception):
            raise step
        if callable(step):
            return step(request)
        return step

    side_effect.requests = []  # type: ignore[attr-defined]
    return side_effect


def sent_items(request: httpx.Request) -> list[dict[str, Any]]:
    return json.loads(request.content)["items"]
