"""Errors the technician's API raises; each message says what happened and what to do."""

from __future__ import annotations


class DeviceError(Exception):
    code = "device_error"


class OfflineError(DeviceError):
    """The action needs the network and the device is offline (nothing was queued)."""

    code = "offline"


class RefusedError(DeviceError):
    """The server refused an online-only action (e.g. a declined card)."""

    code = "refused"

    def __init__(self, message: str, status: int, body: object) -> None:
        super().__init__(message)
        self.status, self.body = status, body
