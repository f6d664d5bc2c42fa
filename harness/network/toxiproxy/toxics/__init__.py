"""The toxics, one module each, and the registry mapping the API's type name to a toxic class."""

from __future__ import annotations

from harness.network.toxiproxy.toxics.bandwidth import BandwidthToxic
from harness.network.toxiproxy.toxics.base import Toxic
from harness.network.toxiproxy.toxics.latency import LatencyToxic
from harness.network.toxiproxy.toxics.limit_data import LimitDataToxic
from harness.network.toxiproxy.toxics.noop import NoopToxic
from harness.network.toxiproxy.toxics.reset_peer import ResetPeerToxic
from harness.network.toxiproxy.toxics.slicer import SlicerToxic
from harness.network.toxiproxy.toxics.slow_close import SlowCloseToxic
from harness.network.toxiproxy.toxics.timeout import TimeoutToxic

REGISTRY: dict[str, type[Toxic]] = {
    cls.type_name: cls
    for cls in (
        LatencyToxic,
        BandwidthToxic,
        SlowCloseToxic,
        TimeoutToxic,
        ResetPeerToxic,
        SlicerToxic,
        LimitDataToxic,
        NoopToxic,
    )
}

__all__ = ["REGISTRY", "Toxic", "NoopToxic"]
