"""Named network profiles (EDGE, 3G, rural LTE, basement, tunnel, good wifi), each from a public source.

A profile is applied to a link as a group of toxics: half the round-trip time (and half the jitter)
as a latency toxic in each direction, a bandwidth toxic per direction, and for the patchy places
(basement, tunnel) a flapping task. Figures are round-trip times in ms and rates in kbit/s as the
sources give them; Toxiproxy's bandwidth toxic takes KB/s (1 KB = 1000 bytes: toxics/bandwidth.go).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class NetworkProfile:
    name: str
    rtt_ms: int
    jitter_ms: int
    down_kbps: int
    up_kbps: int
    flapping: tuple[float, float] | None = None  # (seconds online, seconds offline)

    @property
    def down_kb_per_s(self) -> int:
        return max(1, round(self.down_kbps / 8))

    @property
    def up_kb_per_s(self) -> int:
        return max(1, round(self.up_kbps / 8))


# Sources (all read 2026-11):
# [WPT]  WebPageTest connectivity presets, www/settings/connectivity.ini.sample in
#        github.com/catchpoint/WebPageTest (bwIn/bwOut in bit/s, latency = RTT in ms).
# [CDT]  Chrome DevTools throttling presets, front_end/core/sdk/NetworkManager.ts in
#        github.com/ChromeDevTools/devtools-frontend. DevTools multiplies its targets by adjustment
#        factors because it throttles whole requests; a TCP proxy delays packets, so we take the targets.
# [WDIO] WebdriverIO throttleNetwork presets (Chrome's earlier device-mode presets),
#        packages/webdriverio/src/commands/browser/throttleNetwork.ts in github.com/webdriverio/webdriverio.
# [LOAD] Loadero network conditions table (jitter per network type),
#        https://wiki.loadero.com/test-creation/participant-configuration/network-conditions/
# [OS19] Opensignal, "Mobile Experience in Rural USA - An Operator Comparison" (2019-09-24),
#        https://www.opensignal.com/2019/09/24/mobile-experience-in-rural-usa-an-operator-comparison
#        (latency figure as quoted from that report by https://www.championone.com/blog/
#        the-other-97-mobile-performance-and-access-in-rural-areas-part-2).
# [GWS]  Global Wireless Solutions train connectivity study, London commuter routes (2014-10-14),
#        as reported at http://www.theregister.co.uk/2014/10/14/phones_on_trains_are_crap/ :
#        "one in three mobile internet tasks ... failed".
PROFILES: dict[str, NetworkProfile] = {
    "edge": NetworkProfile(
        "EDGE",
        rtt_ms=840,  # [WPT] [Edge] "Mobile Edge (240 Kbps/200 Kbps 840ms RTT)"
        jitter_ms=100,  # [LOAD] Edge: jitter 100ms
        down_kbps=240,  # [WPT] [Edge] bwIn=240000
        up_kbps=200,  # [WPT] [Edge] bwOut=200000
    ),
    "3g": NetworkProfile(
        "3G",
        rtt_ms=300,  # [WPT] [3G] "Mobile 3G (1.6 Mbps/768 Kbps 300ms RTT)"
        jitter_ms=50,  # [LOAD] 3G: jitter 50ms
        down_kbps=1600,  # [WPT] [3G] bwIn=1600000
        up_kbps=768,  # [WPT] [3G] bwOut=768000
    ),
    "slow_3g": NetworkProfile(
        "slow 3G",
        rtt_ms=400,  # [CDT] Slow3GConditions (shown as "3G"): "400ms RTT" target
        jitter_ms=0,  # [CDT] no jitter in DevTools presets
        down_kbps=500,  # [CDT] "~500Kbps down"
        up_kbps=500,  # [CDT] "~500Kbps up"
    ),
    "4g": NetworkProfile(
        "4G",
        rtt_ms=60,  # [CDT] Fast4GConditions: "60ms RTT" target
        jitter_ms=10,  # [LOAD] 4G: jitter 5ms / 15ms (in/out); their mean
        down_kbps=9000,  # [CDT] "9 Mbps down"
        up_kbps=1500,  # [CDT] "1.5 Mbps up"
    ),
    "rural_lte": NetworkProfile(
        "rural LTE (weak signal)",
        rtt_ms=72,  # [OS19] lowest latency in remote rural areas: 71.6 ms (AT&T users)
        jitter_ms=10,  # [LOAD] 4G jitter, as for "4g"
        down_kbps=12300,  # [OS19] Verizon users in Remote rural areas: 12.3 Mbps download
        up_kbps=3700,  # [OS19] Verizon users in Distant and Remote rural areas: 3.7 Mbps upload
    ),
    "basement": NetworkProfile(
        "basement",
        # No public measurement of a basement link was found: we take the slowest cellular preset
        # above 2G, [WPT] Edge, and the flapping periods are a harness choice.
        rtt_ms=840,  # [WPT] [Edge]
        jitter_ms=100,  # [LOAD] Edge
        down_kbps=240,  # [WPT] [Edge]
        up_kbps=200,  # [WPT] [Edge]
        flapping=(5.0, 5.0),  # harness choice (no source)
    ),
    "tunnel": NetworkProfile(
        "tunnel",
        rtt_ms=300,  # [WPT] [3G]
        jitter_ms=50,  # [LOAD] 3G
        down_kbps=1600,  # [WPT] [3G]
        up_kbps=768,  # [WPT] [3G]
        # Offline one third of the time, after [GWS] (1 in 3 tasks failed on commuter trains);
        # the 4 s / 2 s lengths themselves are a harness choice.
        flapping=(4.0, 2.0),
    ),
    "good_wifi": NetworkProfile(
        "good wifi",
        rtt_ms=2,  # [WDIO] 'WiFi': latency 2
        jitter_ms=0,  # [WDIO] no jitter
        down_kbps=30 * 1024,  # [WDIO] 'WiFi': downloadThroughput 30 * 1024 * 1024 / 8 (bytes/s)
        up_kbps=15 * 1024,  # [WDIO] 'WiFi': uploadThroughput 15 * 1024 * 1024 / 8 (bytes/s)
    ),
}


def profile_key(name: str) -> str:
    """``"Rural LTE"``, ``"rural-lte"`` and ``"RURAL_LTE"`` all name the same profile."""
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def get_profile(name: str) -> NetworkProfile:
    key = profile_key(name)
    if key in PROFILES:
        return PROFILES[key]
    close = difflib.get_close_matches(key, PROFILES, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown network profile {name!r}; known: {', '.join(PROFILES)}.{hint}")
