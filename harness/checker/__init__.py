"""The exactly-once checker: what the device accepted against what the server applied."""

from __future__ import annotations

from harness.checker.check import check
from harness.checker.model import CheckerInputError, DeviceHistory, Ledger, NetworkEvent
from harness.checker.verdict import VIOLATION_KINDS, Metrics, Verdict, Violation

__all__ = [
    "VIOLATION_KINDS",
    "CheckerInputError",
    "DeviceHistory",
    "Ledger",
    "Metrics",
    "NetworkEvent",
    "Verdict",
    "Violation",
    "check",
]
