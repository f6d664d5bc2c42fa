"""A proxy: its listener, one accept loop, and the connections it opened (proxy.go).

``enabled: false`` closes the listener and drops every open connection; changing ``listen`` or
``upstream`` restarts the proxy. Addresses and their errors are worded like Go's net package.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import struct
from typing import Any

from harness.network.toxiproxy import errors
from harness.network.toxiproxy.link import Link
from harness.network.toxiproxy.toxic_collection import ToxicCollection

ACCEPT_BACKLOG = 1024


# Addresses the Go way ---------------------------------------------------------------------------
def split_host_port(address: str) -> tuple[str, str]:
    """Go's net.SplitHostPort; raises ValueError with Go's message."""

    def fail(reason: str) -> ValueError:
        return ValueError(f"address {address}: {reason}")

    colon = address.rfind(":")
    if colon < 0:
        raise fail("missing port in address")
    if address.startswith("["):
        end = address.find("]")
        if end < 0:
            raise fail("missing ']' in address")
        if end + 1 == len(address):
            raise fail("missing port in address")
        if end + 1 != colon:
            raise fail("too many colons in address" if address[end + 1] == ":" else "missing port in address")
        return address[1:end], address[colon + 1 :]
    host = address[:colon]
    if ":" in host:
        raise fail("too many colons in address")
    return host, address[colon + 1 :]


def _port_number(port: str) -> int:
    if port == "":
        return 0
    if not port.isdigit():
        with contextlib.suppress(OSError):
            return socket.getservbyname(port, "tcp")
        raise ValueError(f"lookup tcp/{port}: unknown port")
    if int(port) > 65535:
        raise ValueError(f"address {port}: invalid port")
    return int(port)


WILDCARDS = ("", "0.0.0.0", "::")  # Go listens on these dual-stack, shown as [::]


def _resolve(host: str, port: int) -> tuple[int, str]:
    """(address family, IP) for host; IPv4 first for names, like Go's resolver order."""
    if host in WILDCARDS and socket.has_ipv6:
        return socket.AF_INET6, "::"
    if host == "":
        return socket.AF_INET, "0.0.0.0"
    with contextlib.suppress(ValueError):
        ip = ipaddress.ip_address(host.split("%")[0])
        return (socket.AF_INET6 if ip.version == 6 else socket.AF_INET), host
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise ValueError(f"lookup {host}: no such host") from None
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    return infos[0][0], infos[0][4][0]


def format_address(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def canonical_address(address: str) -> str:
    """Go's net.ResolveTCPAddr(address).String(), used to tell whether `listen` changed."""
    if address == "":
        return ":0"
    host, port = split_host_port(address)
    number = _port_number(port)
    if host == "":
        return f":{number}"
    return format_address(_resolve(host, number)[1], number)


def open_listener(address: str) -> socket.socket:
    """Bind and listen like Go's net.Listen("tcp", address); OSError/ValueError carry Go's text."""
    try:
        host, port = split_host_port(address) if address else ("", "0")  # Go: "" is any address
        number = _port_number(port)
        family, ip = _resolve(host, number)
    except ValueError as exc:
        raise ValueError(f"listen tcp: {exc}") from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6 and host in WILDCARDS:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # Go listens dual-stack
        sock.bind((ip, number))
        sock.listen(ACCEPT_BACKLOG)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        reason = (exc.strerror or str(exc)).lower()
        shown = format_address(ip, number) if host else f":{number}"
        raise ValueError(f"listen tcp {shown}: bind: {reason}") from None
    return sock


async def dial(address: str) -> socket.socket:
    host, port = split_host_port(address)
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host or None, _port_number(port), type=socket.SOCK_STREAM)
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    last_error: OSError = OSError(f"dial tcp {address}: no address")
    for family, kind, proto, _, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            last_error = exc
    raise last_error


def _prepare(sock: socket.socket) -> None:
    sock.setblocking(False)
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # Go's default for TCP conns


class Connection:
    """A client socket, its upstream socket and the two links between them."""

    def __init__(self, proxy: Proxy, client: socket.socket, upstream: socket.socket, index: int) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream = upstream
        seed = f"{proxy.seed}:{proxy.name}:{index}"
        self.up = Link(self, "upstream", client, upstream, seed)
        self.down = Link(self, "downstream", upstream, client, seed)
        self.closed = False

    def start(self) -> None:
        toxics = self.proxy.toxics
        for link in (self.up, self.down):
            toxics.links.add(link)
            link.start(list(toxics.chain[link.direction]))

    def link_finished(self, link: Link) -> None:
        """A link's stream ended: close its destination and end the other direction (as Go does)."""
        other = self.down if link is self.up else self.up
        if not other.finished:
            other.end_source()
        self._close_socket(link.dst)
        if self.up.finished and self.down.finished:
            self.drop()

    def arm_reset(self) -> None:
        """Make closing either socket send a TCP RST instead of a FIN (reset_peer).

        As in link.go, the RST goes out when the stream's end reaches a socket: the toxic only ends
        the stream, so toxics after it in the chain (another reset_peer too) still act first.
        """
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def drop(self) -> None:
        if self.closed:
            return
        self.closed = True
        for link in (self.up, self.down):
            link.abort()
            self.proxy.toxics.links.discard(link)
        self._close_socket(self.client)
        self._close_socket(self.upstream)
        self.proxy.connections.discard(self)

    def _close_socket(self, sock: socket.socket) -> None:
        if sock.fileno() < 0:
            return
        loop = asyncio.get_running_loop()
        loop.remove_reader(sock.fileno())
        loop.remove_writer(sock.fileno())
        sock.close()


class Proxy:
    def __init__(self, name: str, listen: str, upstream: str, seed: int | str = 0) -> None:
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.enabled = False
        self.seed = seed
        self.toxics = ToxicCollection()
        self.connections: set[Connection] = set()
        self._listener: socket.socket | None = None
        self._accepted = 0
        self._pending: set[asyncio.Task[None]] = set()

    def to_json(self) -> dict[str, Any]:
        # "Logger": {} is the real server's too: an exported Go field without a JSON tag.
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "Logger": {},
            "toxics": [wrapper.to_json() for wrapper in self.toxics.toxics()],
        }

    def start(self) -> None:
        """Open the listener; raises ApiError (Go's text) if it cannot."""
        if self.enabled:
            return
        try:
            self._listener = open_listener(self.listen)
        except ValueError as exc:
            raise errors.listen_failed(str(exc)) from None
        ip, port = self._listener.getsockname()[:2]
        self.listen = format_address(ip, port)
        asyncio.get_running_loop().add_reader(self._listener.fileno(), self._on_accept)
        self.enabled = True

    def stop(self) -> None:
        if not self.enabled:
            return
        self.enabled = False
        if self._listener is not None:
            asyncio.get_running_loop().remove_reader(self._listener.fileno())
            self._listener.close()
            self._listener = None
        for task in list(self._pending):
            task.cancel()
        for connection in list(self.connections):
            connection.drop()

    def differs(self, listen: str, upstream: str) -> bool:
        try:
            resolved = canonical_address(listen)
        except ValueError as exc:
            raise errors.listen_failed(str(exc)) from None
        return self.listen != resolved or self.upstream != upstream

    def update(self, listen: str, upstream: str, enabled: bool) -> None:
        if self.differs(listen, upstream):
            self.stop()
            self.listen = listen
            self.upstream = upstream
        if enabled != self.enabled:
            if enabled:
                self.start()
            else:
                self.stop()

    def _on_accept(self) -> None:
        assert self._listener is not None
        for _ in range(64):
            try:
                client, _address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            _prepare(client)
            self._accepted += 1
            task = asyncio.get_running_loop().create_task(self._connect(client, self._accepted))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _connect(self, client: socket.socket, index: int) -> None:
        try:
            upstream = await dial(self.upstream)
        except (OSError, ValueError, asyncio.CancelledError):
            client.close()  # like the real server: the client just sees the connection close
            return
        _prepare(upstream)
        if not self.enabled:
            client.close()
            upstream.close()
            return
        connection = Connection(self, client, upstream, index)
        self.connections.add(connection)
        connection.start()
