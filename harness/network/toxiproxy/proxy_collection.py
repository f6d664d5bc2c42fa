"""The set of proxies by name: create, replace on populate, remove, reset (proxy_collection.go)."""

from __future__ import annotations

import asyncio
from typing import Any

from harness.network.toxiproxy import errors, go_json
from harness.network.toxiproxy.proxy import Proxy

PROXY = go_json.Struct(
    "Proxy",
    "toxiproxy.Proxy",
    {
        "name": "string",
        "listen": "string",
        "upstream": "string",
        "enabled": "bool",
        "Logger": go_json.Struct("Logger", "zerolog.Logger", {}),
    },
)
_POPULATE_ITEM = 'struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }'
# In /populate the real server decodes into an anonymous struct embedding Proxy, so its errors
# name fields ".Proxy.name" (embedded) and ".enabled" (its own nullable field).
_POPULATE_ELEMENT = go_json.Struct(".Proxy", _POPULATE_ITEM, {k: v for k, v in PROXY.fields.items() if k != "enabled"})


def decode_proxy(value: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    """Proxy fields from a decoded JSON body over defaults; ApiError 400 on a type error."""
    fields = dict(defaults)
    error = go_json.decode_into(value, PROXY, fields)
    if error:
        raise errors.BAD_REQUEST_BODY.wrap(error)
    return fields


def _decode_populate_item(value: Any) -> tuple[dict[str, Any], str | None]:
    fields: dict[str, Any] = {"name": "", "listen": "", "upstream": ""}
    if value is not None and not isinstance(value, dict):
        kind = go_json.go_kind(value)
        return fields, f"json: cannot unmarshal {kind} into Go value of type {_POPULATE_ITEM}"
    value = value or {}
    error = go_json.decode_into(value, _POPULATE_ELEMENT, fields)
    enabled_spec = go_json.Struct("", "", {"enabled": "bool"})
    enabled_fields: dict[str, Any] = {}
    error = error or go_json.decode_into(value, enabled_spec, enabled_fields)
    fields["enabled"] = enabled_fields.get("enabled", True)
    return fields, error


class ProxyCollection:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.proxies: dict[str, Proxy] = {}
        self.lock = asyncio.Lock()

    def get(self, name: str) -> Proxy:
        proxy = self.proxies.get(name)
        if proxy is None:
            raise errors.PROXY_NOT_FOUND
        return proxy

    def new_proxy(self, name: str, listen: str, upstream: str) -> Proxy:
        return Proxy(name, listen, upstream, seed=self.seed)

    async def add(self, proxy: Proxy, start: bool) -> None:
        async with self.lock:
            if proxy.name in self.proxies:
                raise errors.PROXY_ALREADY_EXISTS
            if start:
                proxy.start()
            self.proxies[proxy.name] = proxy

    async def remove(self, name: str) -> None:
        async with self.lock:
            proxy = self.get(name)
            proxy.stop()
            del self.proxies[name]

    async def clear(self) -> None:
        async with self.lock:
            for proxy in self.proxies.values():
                proxy.stop()
            self.proxies.clear()

    async def populate(self, body: bytes) -> tuple[list[Proxy], errors.ApiError | None]:
        """Create or replace proxies from a JSON array; returns those done and the first error."""
        try:
            value = go_json.loads(body)
        except go_json.GoJSONError as exc:
            return [], errors.BAD_REQUEST_BODY.wrap(str(exc))
        if value is None:
            value = []
        if not isinstance(value, list):
            kind = go_json.go_kind(value)
            return [], errors.BAD_REQUEST_BODY.wrap(
                f"json: cannot unmarshal {kind} into Go value of type []{_POPULATE_ITEM}"
            )
        items = []
        for index, raw in enumerate(value, start=1):
            fields, error = _decode_populate_item(raw)
            if error:
                return [], errors.BAD_REQUEST_BODY.wrap(error)
            items.append((index, fields))
        for index, fields in items:  # check everything before creating anything
            if not fields["name"]:
                return [], errors.MISSING_FIELD.wrap(f"name at proxy {index}")
            if not fields["upstream"]:
                return [], errors.MISSING_FIELD.wrap(f"upstream at proxy {index}")
        done: list[Proxy] = []
        async with self.lock:
            for _, fields in items:
                proxy = self.new_proxy(fields["name"], fields["listen"], fields["upstream"])
                try:
                    done.append(self._add_or_replace(proxy, fields["enabled"]))
                except errors.ApiError as exc:
                    return done, exc
        return done, None

    def _add_or_replace(self, proxy: Proxy, start: bool) -> Proxy:
        existing = self.proxies.get(proxy.name)
        if existing is not None:
            if not existing.differs(proxy.listen, proxy.upstream):
                return existing
            existing.stop()
        if start:
            proxy.start()
        self.proxies[proxy.name] = proxy
        return proxy
