"""Named profiles and condition arguments: lookup, unit conversion and bad input (no server needed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.network.control import Link, ToxiproxyClient
from harness.network.control.flapping import Flapping
from harness.network.control.profiles import PROFILES, get_profile

PROFILES_SOURCE = Path(__file__).parents[2] / "harness" / "network" / "control" / "profiles.py"


@pytest.fixture
def link() -> Link:
    # Only builds conditions; nothing here talks to the (unreachable) server.
    client = ToxiproxyClient("http://127.0.0.1:9")
    return Link(client, {"name": "api", "upstream": "127.0.0.1:1", "listen": "127.0.0.1:2",
                         "enabled": True})


@pytest.mark.parametrize("spelling", ["EDGE", "edge", " Edge "])
def test_profile_names_ignore_case_and_spaces(spelling: str) -> None:
    assert get_profile(spelling) is PROFILES["edge"]


@pytest.mark.parametrize("spelling", ["rural LTE", "Rural-LTE", "RURAL_LTE"])
def test_multi_word_profile_names_accept_spaces_and_hyphens(spelling: str) -> None:
    assert get_profile(spelling) is PROFILES["rural_lte"]


def test_unknown_profile_names_the_known_ones_and_the_closest() -> None:
    with pytest.raises(ValueError, match=r"unknown network profile 'tunel'.*Did you mean 'tunnel'"):
        get_profile("tunel")


def test_the_required_profiles_exist() -> None:
    for name in ("edge", "3g", "rural_lte", "basement", "tunnel", "good_wifi"):
        assert name in PROFILES


def test_patchy_places_flap() -> None:
    assert PROFILES["basement"].flapping is not None
    assert PROFILES["tunnel"].flapping is not None


def test_kbit_per_second_become_toxiproxy_kilobytes_per_second() -> None:
    edge = PROFILES["edge"]
    assert (edge.down_kb_per_s, edge.up_kb_per_s) == (30, 25)  # 240 and 200 kbit/s


def test_every_profile_figure_line_cites_a_source() -> None:
    # Each figure assignment in PROFILES carries a comment naming its source (or saying it has none).
    figure = re.compile(r"^\s+(rtt_ms|jitter_ms|down_kbps|up_kbps|flapping)=")
    lines = PROFILES_SOURCE.read_text().splitlines()
    uncited = [line for i, line in enumerate(lines)
               if figure.match(line) and "#" not in line and "#" not in lines[i - 1]]
    assert uncited == []


def test_condition_by_unknown_name_suggests_the_closest(link: Link) -> None:
    with pytest.raises(ValueError, match=r"unknown network condition 'ofline'.*Did you mean 'offline'"):
        link.condition("ofline")


def test_condition_by_a_partial_name_suggests_the_full_one(link: Link) -> None:
    with pytest.raises(ValueError, match=r"Did you mean 'connection_reset'"):
        link.condition("reset")


def test_condition_with_a_wrong_parameter_lists_the_accepted_ones(link: Link) -> None:
    with pytest.raises(ValueError, match=r"'latency'.*it takes: ms, jitter, stream"):
        link.condition("latency", delay=100)


@pytest.mark.parametrize("make", [
    lambda link: link.latency(-1),
    lambda link: link.bandwidth(-5),
    lambda link: link.cut_after(-1),
    lambda link: link.latency(100, stream="sideways"),
    lambda link: link.flapping(up=0, down=1),
])
def test_bad_condition_arguments_are_refused_when_built(link: Link, make) -> None:
    with pytest.raises(ValueError):
        make(link)


def test_seeded_flapping_repeats_its_rhythm(link: Link) -> None:
    first = Flapping(link, up=1.0, down=1.0, seed=7)
    second = Flapping(link, up=1.0, down=1.0, seed=7)
    rhythm = [first._period(1.0) for _ in range(5)]
    assert rhythm == [second._period(1.0) for _ in range(5)]
    assert all(0.5 <= period <= 1.5 for period in rhythm)
    assert len(set(rhythm)) > 1


def test_unseeded_flapping_keeps_exact_periods(link: Link) -> None:
    flapping = Flapping(link, up=0.7, down=0.3)
    assert [flapping._period(0.7), flapping._period(0.3)] == [0.7, 0.3]
