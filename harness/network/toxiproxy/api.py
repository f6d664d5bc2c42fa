"""The HTTP API of Toxiproxy 2.x (api.go): routes, status codes, headers and error bodies.

A small HTTP/1.1 server on asyncio streams rather than Starlette/uvicorn: the real server's
answers include details a framework gets in the way of (errors as ``text/plain`` JSON with a
trailing newline, gorilla/mux's plain-text 404 and empty-bodied 405, no trailing-slash redirects,
403 for browser user agents), and it runs in the same event loop as the proxies with no
lifespan or signal handling of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import urllib.parse
from collections.abc import Awaitable, Callable
from email.utils import formatdate

from harness.network.toxiproxy import errors, go_json
from harness.network.toxiproxy.proxy_collection import ProxyCollection, decode_proxy

VERSION = "2.12.0"  # the Toxiproxy release whose API this server follows
MAX_HEADER_BYTES = 1 << 20
MAX_BODY_BYTES = 16 << 20

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"


class Response:
    def __init__(self, status: int, body: bytes = b"", content_type: str | None = JSON, nosniff: bool = False) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.nosniff = nosniff


def json_response(value: object, status: int = 200) -> Response:
    return Response(status, go_json.dumps(value))


def error_response(error: errors.ApiError) -> Response:
    # Go's http.Error: text/plain, nosniff, body + "\n" (api.go sets application/json first,
    # but http.Error overwrites it).
    body = go_json.dumps({"error": error.message, "status": error.status}) + b"\n"
    return Response(error.status, body, TEXT, nosniff=True)


Handler = Callable[["ToxiproxyApi", dict[str, str], bytes], Awaitable[Response]]


class ToxiproxyApi:
    """The routes over a ProxyCollection."""

    def __init__(self, seed: int) -> None:
        self.collection = ProxyCollection(seed)
        self.clients: set[asyncio.StreamWriter] = set()
        self.routes: list[tuple[re.Pattern[str], dict[str, Handler]]] = [
            (re.compile(pattern), methods)
            for pattern, methods in (
                (r"/reset", {"POST": ToxiproxyApi.reset}),
                (r"/proxies", {"GET": ToxiproxyApi.proxy_index, "POST": ToxiproxyApi.proxy_create}),
                (r"/populate", {"POST": ToxiproxyApi.populate}),
                (
                    r"/proxies/(?P<proxy>[^/]+)",
                    {
                        "GET": ToxiproxyApi.proxy_show,
                        "POST": ToxiproxyApi.proxy_update,
                        "PATCH": ToxiproxyApi.proxy_update,
                        "DELETE": ToxiproxyApi.proxy_delete,
                    },
                ),
                (
                    r"/proxies/(?P<proxy>[^/]+)/toxics",
                    {"GET": ToxiproxyApi.toxic_index, "POST": ToxiproxyApi.toxic_create},
                ),
                (
                    r"/proxies/(?P<proxy>[^/]+)/toxics/(?P<toxic>[^/]+)",
                    {
                        "GET": ToxiproxyApi.toxic_show,
                        "POST": ToxiproxyApi.toxic_update,
                        "PATCH": ToxiproxyApi.toxic_update,
                        "DELETE": ToxiproxyApi.toxic_delete,
                    },
                ),
                (r"/version", {"GET": ToxiproxyApi.version}),
            )
        ]

    async def dispatch(self, method: str, path: str, user_agent: str, body: bytes) -> Response:
        if user_agent.startswith("Mozilla/"):
            return Response(403, b"User agent not allowed\n", TEXT, nosniff=True)
        path = urllib.parse.unquote(path)
        path_matched = False
        for pattern, methods in self.routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            path_matched = True
            handler = methods.get(method)
            if handler is not None:
                try:
                    return await handler(self, match.groupdict(), body)
                except errors.ApiError as exc:
                    return error_response(exc)
        if path_matched:
            return Response(405, b"", None)  # gorilla/mux: empty body, no content type
        return Response(404, b"404 page not found\n", TEXT, nosniff=True)

    # Routes ---------------------------------------------------------------------------------------
    async def version(self, _: dict[str, str], __: bytes) -> Response:
        body = f'{{"version": "{VERSION}"}}\n'.encode()
        return Response(200, body, "application/json;charset=utf-8")

    async def reset(self, _: dict[str, str], __: bytes) -> Response:
        for proxy in list(self.collection.proxies.values()):
            proxy.start()
            await proxy.toxics.reset()
        return Response(204, b"", None)

    async def proxy_index(self, _: dict[str, str], __: bytes) -> Response:
        proxies = self.collection.proxies
        return json_response({name: proxies[name].to_json() for name in sorted(proxies)})

    async def proxy_create(self, _: dict[str, str], body: bytes) -> Response:
        fields = decode_proxy(_loads(body), {"name": "", "listen": "", "upstream": "", "enabled": True})
        if not fields["name"]:
            raise errors.MISSING_FIELD.wrap("name")
        if not fields["upstream"]:
            raise errors.MISSING_FIELD.wrap("upstream")
        proxy = self.collection.new_proxy(fields["name"], fields["listen"], fields["upstream"])
        await self.collection.add(proxy, fields["enabled"])
        return json_response(proxy.to_json(), 201)

    async def populate(self, _: dict[str, str], body: bytes) -> Response:
        proxies, error = await self.collection.populate(body)
        listed = [proxy.to_json() for proxy in proxies] or None
        if error is None:
            return json_response({"proxies": listed}, 201)
        # Populate writes its error itself (not via http.Error): application/json, no newline.
        return json_response({"error": error.message, "status": error.status, "proxies": listed}, error.status)

    async def proxy_show(self, params: dict[str, str], _: bytes) -> Response:
        return json_response(self.collection.get(params["proxy"]).to_json())

    async def proxy_update(self, params: dict[str, str], body: bytes) -> Response:
        proxy = self.collection.get(params["proxy"])
        defaults = {"name": proxy.name, "listen": proxy.listen, "upstream": proxy.upstream, "enabled": proxy.enabled}
        fields = decode_proxy(_loads(body), defaults)
        proxy.update(fields["listen"], fields["upstream"], fields["enabled"])
        return json_response(proxy.to_json())

    async def proxy_delete(self, params: dict[str, str], _: bytes) -> Response:
        await self.collection.remove(params["proxy"])
        return Response(204, b"", None)

    async def toxic_index(self, params: dict[str, str], _: bytes) -> Response:
        proxy = self.collection.get(params["proxy"])
        return json_response([wrapper.to_json() for wrapper in proxy.toxics.toxics()])

    async def toxic_create(self, params: dict[str, str], body: bytes) -> Response:
        proxy = self.collection.get(params["proxy"])
        return json_response((await proxy.toxics.add_json(body)).to_json())

    async def toxic_show(self, params: dict[str, str], _: bytes) -> Response:
        wrapper = self.collection.get(params["proxy"]).toxics.find(params["toxic"])
        if wrapper is None:
            raise errors.TOXIC_NOT_FOUND
        return json_response(wrapper.to_json())

    async def toxic_update(self, params: dict[str, str], body: bytes) -> Response:
        proxy = self.collection.get(params["proxy"])
        return json_response((await proxy.toxics.update_json(params["toxic"], body)).to_json())

    async def toxic_delete(self, params: dict[str, str], _: bytes) -> Response:
        await self.collection.get(params["proxy"]).toxics.remove(params["toxic"])
        return Response(204, b"", None)

    # HTTP/1.1 ---------------------------------------------------------------------------------------
    async def handle_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.clients.add(writer)
        try:
            while await self._handle_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            self.clients.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def close_clients(self) -> None:
        """End idle keep-alive API connections (their handlers then return normally)."""
        for writer in list(self.clients):
            writer.close()

    async def _handle_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, target, version = lines[0].split(" ")
        except ValueError:
            writer.write(
                b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
                b"Connection: close\r\n\r\n400 Bad Request"
            )
            return False
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        if headers.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # curl waits for it on large bodies
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = await _read_chunked(reader)
        else:
            length = int(headers.get("content-length", "0") or "0")
            if length > MAX_BODY_BYTES:
                raise ValueError("body too large")
            body = await reader.readexactly(length)
        path = urllib.parse.urlsplit(target).path
        response = await self.dispatch(method, path, headers.get("user-agent", ""), body)
        keep_alive = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
        writer.write(_serialise(response, keep_alive))
        await writer.drain()
        return keep_alive


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)
        if len(body) > MAX_BODY_BYTES:
            raise ValueError("body too large")


_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    500: "Internal Server Error",
}


def _serialise(response: Response, keep_alive: bool) -> bytes:
    lines = [f"HTTP/1.1 {response.status} {_REASONS.get(response.status, '')}"]
    if response.content_type:
        lines.append(f"Content-Type: {response.content_type}")
    if response.nosniff:
        lines.append("X-Content-Type-Options: nosniff")
    if response.status not in (404, 405) or response.body.startswith(b"{"):
        lines.append(f"X-Toxiproxy-Request-Id: {secrets.token_hex(10)}")
    lines.append(f"Date: {formatdate(usegmt=True)}")
    if response.status != 204:
        lines.append(f"Content-Length: {len(response.body)}")
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + response.body


def _loads(body: bytes) -> object:
    try:
        return go_json.loads(body)
    except go_json.GoJSONError as exc:
        raise errors.BAD_REQUEST_BODY.wrap(str(exc)) from None
