"""Network control for scenarios: conditions on Toxiproxy proxies, in the QA engineer's vocabulary.

    from harness.network.control import network_backend

    async with network_backend("auto") as net:
        link = await net.proxy("api", upstream="127.0.0.1:8000")
        async with link.offline():
            ...                       # the device has no network here
        async with link.profile("EDGE"):
            ...
"""

from __future__ import annotations

from harness.network.control.backends import BackendError, Network, network_backend
from harness.network.control.client import ToxiproxyClient, ToxiproxyError
from harness.network.control.conditions import Condition
from harness.network.control.link import CONDITION_NAMES, Link
from harness.network.control.profiles import PROFILES, NetworkProfile, get_profile

__all__ = [
    "BackendError", "CONDITION_NAMES", "Condition", "Link", "Network", "NetworkProfile", "PROFILES",
    "ToxiproxyClient", "ToxiproxyError", "get_profile", "network_backend",
]
