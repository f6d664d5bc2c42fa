"""The pytest plugin: YAML scenarios collected as items, tags as markers, failures in the scenario's terms."""

from __future__ import annotations

import pytest

from .scenario_texts import BROKEN, SERVER_IGNORES_KEY, TINY

pytest_plugins = ["pytester"]
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


@pytest.fixture
def catalogue(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    scenarios = pytester.mkdir("scenarios")
    (scenarios / "tiny.yaml").write_text(TINY)
    (scenarios / "bug.yaml").write_text(SERVER_IGNORES_KEY)
    (pytester.path / "not_a_scenario.yaml").write_text("just: data\n")  # outside scenarios/: ignored
    return pytester


def test_collects_each_scenario_as_an_item_named_after_it(catalogue: pytest.Pytester) -> None:
    result = catalogue.runpytest_subprocess("--collect-only", "-q", "--strict-markers")
    result.stdout.fnmatch_lines(["scenarios/bug.yaml::server-ignores-key", "scenarios/tiny.yaml::tiny-note",
                                 "*2 tests collected*"])
    assert result.ret == 0


def test_k_and_tag_markers_select_scenarios(catalogue: pytest.Pytester) -> None:
    by_keyword = catalogue.runpytest_subprocess("--collect-only", "-q", "-k", "tiny")
    by_keyword.stdout.fnmatch_lines(["scenarios/tiny.yaml::tiny-note", "*1/2 tests collected (1 deselected)*"])
    by_marker = catalogue.runpytest_subprocess("--collect-only", "-q", "-m", "bug", "--strict-markers", "-W", "error")
    by_marker.stdout.fnmatch_lines(["scenarios/bug.yaml::server-ignores-key", "*1/2 tests collected (1 deselected)*"])


def test_passing_and_failing_scenarios_and_the_failure_report(catalogue: pytest.Pytester) -> None:
    result = catalogue.runpytest_subprocess("-p", "no:cacheprovider", "--junitxml=junit.xml")
    result.assert_outcomes(passed=1, failed=1)
    output = result.stdout.str()
    assert "DUPLICATE" in output and "replay with --seed 9" in output
    assert "timeline (seconds since start):" in output
    assert "Traceback" not in output and "harness/runner" not in output
    junit = (catalogue.path / "junit.xml").read_text()
    assert 'name="tiny-note"' in junit and 'name="server-ignores-key"' in junit


def test_a_broken_scenario_is_a_collection_error_naming_file_and_line(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "broken.yaml").write_text(BROKEN)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED  # a collection error stops the session
    result.stdout.fnmatch_lines(["*scenarios/broken.yaml:8: steps[[]0[]].do: 'add_nte'*Did you mean 'add_note'?*"])
    assert "Traceback" not in result.stdout.str()


def test_runs_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "tiny.yaml").write_text(TINY)
    (pytester.path / "scenarios" / "tiny2.yaml").write_text(TINY.replace("tiny-note", "tiny-note-two"))
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=2)


JITTERY = """\
name: jittery-note
description: A note synced over a link with jitter.
seed: 3
setup:
  technicians: [alice]
  jobs:
    - {id: job1, technician: alice}
steps:
  - network:
      latency: {ms: 40, jitter: 35, direction: both}
  - {as: alice, do: add_note, args: {job: job1, text: "over a jittery link"}}
  - wait: {until: synced, deadline_s: 10}
  - expect: {verdict: pass, sync_state: idle}
"""

# Records every latency draw of the embedded Toxiproxy by the random source it came from, whose label
# ("<server seed>:<proxy>:<connection>:<direction>:<toxic>", see harness/network/toxiproxy/link.py)
# names the connection, and writes them to draws.json at the end of the session.
RECORD_DRAWS = """\
import json, random
from harness.network.toxiproxy import link
from harness.network.toxiproxy.toxics.latency import LatencyToxic

DRAWS = {}

class Labelled(random.Random):
    def __init__(self, label):
        super().__init__(label)
        self.label = label

link.Link.rng_for = lambda self, toxic: Labelled(f"{self.rng_seed}:{self.direction}:{toxic}")
real_delay = LatencyToxic.delay_ms

def recording_delay(self, rng):
    delay = real_delay(self, rng)
    DRAWS.setdefault(rng.label, []).append(delay)
    return delay

LatencyToxic.delay_ms = recording_delay

def pytest_sessionfinish(session):
    with open("draws.json", "w") as out:
        json.dump(DRAWS, out)
"""


def _first_connection_draws(pytester: pytest.Pytester, *args: str) -> tuple[str, list[int]]:
    """Run the suite; the label and the latency draws of the first connection's upstream."""
    import json

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=120)
    result.assert_outcomes(passed=1)
    draws = json.loads((pytester.path / "draws.json").read_text())
    upstream = {int(label.split(":")[-3]): label for label in draws if label.split(":")[-2] == "upstream"}
    assert upstream, draws
    first = upstream[min(upstream)]
    return first, draws[first]


def test_harness_seed_replays_the_jitter_of_a_scenario(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "jittery.yaml").write_text(JITTERY)
    pytester.makeconftest(RECORD_DRAWS)
    first = _first_connection_draws(pytester, "--harness-seed", "11")
    again = _first_connection_draws(pytester, "--harness-seed", "11")
    other = _first_connection_draws(pytester, "--harness-seed", "12")
    assert first[0] == again[0] and first[1]  # the same network seed and proxy name: the same random source
    shared = min(len(first[1]), len(again[1]))  # how many chunks a connection carries is the machine's
    assert first[1][:shared] == again[1][:shared]
    assert other[0] != first[0]
    assert other[1][:shared] != first[1][:shared]


COUNT_NETWORK_SERVERS = """\
from harness.network.toxiproxy.server import EmbeddedToxiproxy

STARTED = []
real_enter = EmbeddedToxiproxy.__aenter__

async def counting_enter(self):
    STARTED.append(self)
    return await real_enter(self)

EmbeddedToxiproxy.__aenter__ = counting_enter

def pytest_sessionfinish(session):
    with open("network_servers.txt", "w") as out:
        out.write(str(len(STARTED)))
"""


def test_the_scenarios_of_a_session_share_one_network_backend(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.mkdir("scenarios")
    for name in ("tiny-note", "tiny-note-two", "tiny-note-three"):
        (pytester.path / "scenarios" / f"{name}.yaml").write_text(TINY.replace("tiny-note", name))
    pytester.makeconftest(COUNT_NETWORK_SERVERS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=3)
    assert (pytester.path / "network_servers.txt").read_text() == "1"
