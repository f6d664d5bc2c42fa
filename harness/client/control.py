"""The control channel of a client process: JSON lines over TCP on 127.0.0.1.

Request ``{"op": "add_note", "args": {"job_id": "j1", "text": "hi"}}``; answer
``{"ok": true, "result": ...}`` or ``{"ok": false, "error": {"code", "message"}}``, one line each.
Media travel as a file ``path`` or base64 ``data_b64``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import socket
from typing import Any

from harness.client.device import Device
from harness.client.errors import DeviceError, RefusedError
from harness.core.vocabulary import MEDIA_ARGS, TECHNICIAN_ACTIONS

# a scenario's actions (the registry: harness/core/vocabulary.py), then what only the runner asks
ACTIONS = (*TECHNICIAN_ACTIONS, "open_customer_history", "wait_idle", "wait_state", "inject_fault")
VIEWS = ("state", "history")
LINE_LIMIT = 128 * 1024 * 1024  # a base64 photo fits on one line


class ControlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


async def dispatch(device: Device, request: Any) -> dict[str, Any]:
    if not isinstance(request, dict) or not isinstance(request.get("op"), str):
        return _error("bad_request", 'send {"op": NAME, "args": {...}} as one JSON line')
    op, args = request["op"], request.get("args") or {}
    if not isinstance(args, dict):
        return _error("bad_request", f"args of {op} must be a JSON object")
    if op == "ping":
        return {"ok": True, "result": {"device_id": device.store.device_id}}
    if op in VIEWS:
        return {"ok": True, "result": getattr(device, op)()}
    if op not in ACTIONS:
        return _error("unknown_op", f"unknown op {op!r}; expected one of ping, {', '.join(VIEWS + ACTIONS)}")
    try:
        return {"ok": True, "result": await getattr(device, op)(**_action_args(op, args))}
    except TypeError as exc:
        return _error("bad_request", f"bad arguments for {op}: {exc}")
    except ValueError as exc:
        return _error("bad_request", str(exc))
    except TimeoutError:
        return _error("timeout", f"{op} did not finish within the timeout")
    except RefusedError as exc:
        return {"ok": False, "error": {"code": exc.code, "message": str(exc), "status": exc.status, "body": exc.body}}
    except DeviceError as exc:
        return _error(exc.code, str(exc))


def _action_args(op: str, args: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``Device.<op>``: a photo or signature arrives as base64 or as a file path."""
    args = dict(args)
    media_arg = MEDIA_ARGS.get(op)
    if media_arg and "data_b64" in args:
        try:
            args[media_arg] = base64.b64decode(args.pop("data_b64"))
        except (binascii.Error, TypeError) as exc:
            raise ValueError(f"data_b64 of {op} is not base64 ({exc})") from None
    elif media_arg and "path" in args:
        args[media_arg] = args.pop("path")
    return args


def _error(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


async def serve_control(device: Device, host: str, port: int) -> asyncio.base_events.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                try:
                    request = json.loads(line)
                except ValueError:
                    answer = _error("bad_json", "each request must be one line of JSON")
                else:
                    answer = await dispatch(device, request)
                writer.write(json.dumps(answer).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass  # the harness hung up or sent garbage; the device keeps running
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port, limit=LINE_LIMIT)


class ControlClient:
    """Blocking client of the control channel (what a scenario runner uses)."""

    def __init__(self, host: str, port: int, timeout: float = 60.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.file = self.sock.makefile("rwb")

    def call(self, op: str, **args: Any) -> Any:
        self.file.write(json.dumps({"op": op, "args": args}).encode() + b"\n")
        self.file.flush()
        line = self.file.readline()
        if not line:
            raise ConnectionError("the client process closed the control channel")
        answer = json.loads(line)
        if not answer["ok"]:
            raise ControlError(answer["error"]["code"], answer["error"]["message"])
        return answer["result"]

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
