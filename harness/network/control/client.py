"""An async client for the Toxiproxy 2.x HTTP API (proxies, toxics, reset, populate, version).

Hand-written on httpx because toxiproxy-python (the design card's client) cannot serve here: it is
synchronous (``requests``), so calling it from a scenario would block the event loop that also runs
the embedded server and the reference client; it keeps host and port in class attributes (one
server per process); it cannot update a toxic; and it swallows the server's error message.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

STREAMS = ("upstream", "downstream")


class ToxiproxyError(Exception):
    """The Toxiproxy server refused a request or could not be reached.

    ``status`` is the HTTP status (0 when no answer came) and ``message`` the server's own error
    text (the ``error`` field of its JSON body).
    """

    def __init__(self, status: int, message: str, *, method: str = "", path: str = "") -> None:
        self.status = status
        self.message = message
        self.method = method
        self.path = path
        where = f"{method} {path}: " if method else ""
        super().__init__(f"{where}{status} {message}" if status else f"{where}{message}")


class ToxiproxyClient:
    """One Toxiproxy server, addressed by its API URL (e.g. ``http://127.0.0.1:8474``)."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        # The real server answers 403 to browser user agents (api.go, stopBrowsersMiddleware).
        self._http = httpx.AsyncClient(
            base_url=self.url, timeout=timeout, headers={"User-Agent": "offline-harness"}
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ToxiproxyClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _request(self, method: str, path: str, body: Any = None) -> Any:
        try:
            response = await self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise ToxiproxyError(
                0, f"no answer from Toxiproxy at {self.url} ({exc.__class__.__name__}: {exc})",
                method=method, path=path,
            ) from exc
        if response.status_code >= 400:
            raise ToxiproxyError(response.status_code, _error_text(response), method=method, path=path)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except json.JSONDecodeError:
            return response.text

    # server
    async def version(self) -> str:
        """The server's version; before 2.7 /version answered plain text, since then JSON."""
        answer = await self._request("GET", "/version")
        if isinstance(answer, dict):
            return str(answer.get("version", ""))
        return str(answer).strip()

    async def reset(self) -> None:
        """Enable every proxy and remove every toxic."""
        await self._request("POST", "/reset")

    async def populate(self, proxies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Create or replace several proxies at once; returns them as the server reports them."""
        answer = await self._request("POST", "/populate", proxies)
        return list(answer["proxies"] or [])

    # proxies
    async def proxies(self) -> dict[str, dict[str, Any]]:
        return dict(await self._request("GET", "/proxies"))

    async def create_proxy(
        self, name: str, upstream: str, *, listen: str = "127.0.0.1:0", enabled: bool = True
    ) -> dict[str, Any]:
        body = {"name": name, "upstream": upstream, "listen": listen, "enabled": enabled}
        return dict(await self._request("POST", "/proxies", body))

    async def get_proxy(self, name: str) -> dict[str, Any]:
        return dict(await self._request("GET", f"/proxies/{name}"))

    async def update_proxy(self, name: str, **fields: Any) -> dict[str, Any]:
        """Change ``listen``, ``upstream`` or ``enabled``.

        POST, not PATCH: PATCH exists only since 2.6 and the official Go client still posts.
        """
        return dict(await self._request("POST", f"/proxies/{name}", fields))

    async def enable_proxy(self, name: str) -> dict[str, Any]:
        return await self.update_proxy(name, enabled=True)

    async def disable_proxy(self, name: str) -> dict[str, Any]:
        """Close the proxy's listener and drop its open connections."""
        return await self.update_proxy(name, enabled=False)

    async def delete_proxy(self, name: str) -> None:
        await self._request("DELETE", f"/proxies/{name}")

    # toxics
    async def toxics(self, proxy: str) -> list[dict[str, Any]]:
        return list(await self._request("GET", f"/proxies/{proxy}/toxics"))

    async def add_toxic(
        self,
        proxy: str,
        type: str,
        *,
        name: str | None = None,
        stream: str = "downstream",
        toxicity: float = 1.0,
        attributes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if stream not in STREAMS:
            raise ValueError(f"stream must be 'upstream' or 'downstream', not {stream!r}")
        body = {
            "name": name or f"{type}_{stream}",
            "type": type,
            "stream": stream,
            "toxicity": toxicity,
            "attributes": attributes or {},
        }
        return dict(await self._request("POST", f"/proxies/{proxy}/toxics", body))

    async def get_toxic(self, proxy: str, name: str) -> dict[str, Any]:
        return dict(await self._request("GET", f"/proxies/{proxy}/toxics/{name}"))

    async def update_toxic(
        self,
        proxy: str,
        name: str,
        *,
        attributes: dict[str, Any] | None = None,
        toxicity: float | None = None,
    ) -> dict[str, Any]:
        """Change a toxic's attributes or toxicity; open connections see the change at once."""
        body: dict[str, Any] = {}
        if attributes is not None:
            body["attributes"] = attributes
        if toxicity is not None:
            body["toxicity"] = toxicity
        return dict(await self._request("POST", f"/proxies/{proxy}/toxics/{name}", body))

    async def remove_toxic(self, proxy: str, name: str) -> None:
        await self._request("DELETE", f"/proxies/{proxy}/toxics/{name}")


def _error_text(response: httpx.Response) -> str:
    """The server's error message: ``{"error": ..., "status": ...}``, else the raw body."""
    try:
        body = response.json()
    except json.JSONDecodeError:
        return response.text.strip() or response.reason_phrase
    if isinstance(body, dict) and "error" in body:
        return str(body["error"])
    return response.text.strip()
