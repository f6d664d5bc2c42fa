"""The reference client: a headless model of the field-service app's offline mode."""

from __future__ import annotations

from harness.client.bugs import BUGS
from harness.client.device import Device
from harness.client.errors import DeviceError, OfflineError, RefusedError

__all__ = ["BUGS", "Device", "DeviceError", "OfflineError", "RefusedError"]
