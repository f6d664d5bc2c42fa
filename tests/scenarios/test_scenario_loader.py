"""Loading YAML scenarios: valid files become typed Scenarios; broken ones give one line-accurate fix-it error."""

from __future__ import annotations

from pathlib import Path

import pytest
from loader_texts import BASE

from harness.core.errors import HarnessError
from harness.scenarios import ScenarioError, load_scenario, parse_scenario
from harness.scenarios.model import (
    ActionStep, CommitThenFailStep, DelayStep, DeviceFaultStep, ExpectStep, FaultStep, KillStep,
    NetworkCondition, NetworkStep, OfficeStep, RestartStep, WaitStep,
)

DATA = Path(__file__).parent / "data"


def error_of(name: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(DATA / name)
    return caught.value


def test_minimal_scenario_loads_with_defaults() -> None:
    scenario = load_scenario(DATA / "valid_minimal.yaml")
    assert (scenario.name, scenario.seed, scenario.deadline_s, scenario.tags) == ("tunnel-note", 0, 60.0, ())
    assert scenario.setup.technicians == ("alice",)
    assert scenario.setup.jobs[0].status == "scheduled"
    assert scenario.steps[0] == NetworkStep(conditions=(NetworkCondition("profile", {"name": "tunnel"}),), line=8)
    assert scenario.steps[1] == ActionStep(technician="alice", action="add_note", args={"job": "job1"}, line=9)
    assert scenario.steps[2] == WaitStep(until="synced", line=12)
    assert scenario.steps[3] == ExpectStep(verdict="pass", line=13)
    assert scenario.source == str(DATA / "valid_minimal.yaml")


def test_every_kind_of_step_loads_as_its_type() -> None:
    scenario = load_scenario(DATA / "valid_every_step.yaml")
    kinds = {type(step) for step in scenario.steps}
    assert kinds == {ActionStep, NetworkStep, OfficeStep, FaultStep, CommitThenFailStep, DelayStep, KillStep,
                     RestartStep, DeviceFaultStep, WaitStep, ExpectStep}
    assert (scenario.seed, scenario.deadline_s, scenario.tags) == (7, 45.0, ("offline", "smoke"))
    assert scenario.setup.bugs.server == ("email_per_retry",)
    by_line = {step.line: step for step in scenario.steps}
    assert by_line[26].label == "down the basement stairs"
    assert by_line[46] == FaultStep(route="POST /v1/batch", status=503, retry_after=2, count=3, line=46)
    assert by_line[47] == CommitThenFailStep(route="POST /v1/batch", line=47)
    two = by_line[50]
    assert isinstance(two, NetworkStep) and [c.name for c in two.conditions] == ["latency", "bandwidth"]
    assert by_line[63] == DeviceFaultStep(fault="corrupt_next_upload_chunk", line=63)
    assert by_line[65] == WaitStep(seconds=2.5, line=65)
    last = scenario.steps[-1]
    assert isinstance(last, ExpectStep) and last.violations == () and last.job_status == {"job1": "in_progress"}


@pytest.mark.parametrize(
    ("name", "line", "expected"),
    [
        ("broken_unknown_action.yaml", 10,
         "steps[1].do: 'take_phot' is not one of ['set_status', 'take_photo', "),
        ("broken_unknown_key.yaml", 8, "steps[0]: unknown key 'netwrk'. Did you mean 'network'?"),
        ("broken_unknown_arg.yaml", 11,
         "steps[0].network.latency: unknown key 'jiter'. Did you mean 'jitter'? Expected one of: ms, jitter, direction."),
        ("broken_wrong_type.yaml", 3, "seed: expected a whole number, got the text 'seven'"),
        ("broken_yaml_boolean.yaml", 8,
         "steps[0].network: 'off' (YAML reads it as false) is not one of ['offline', "),
        ("broken_missing_required.yaml", 1, "(top level): missing required key 'description' (One line: "),
        ("broken_missing_args.yaml", 9, "steps[1]: send_invoice needs args: {job: ...}"),
        ("broken_two_actions.yaml", 8, "steps[0]: 'network' and 'wait' cannot share one step; write them as two steps"),
        ("broken_unknown_technician.yaml", 9,
         "steps[1].as: 'alcie' is not a technician of setup.technicians (known: alice, bob). Did you mean 'alice'?"),
        ("broken_unknown_job.yaml", 10,
         "steps[2].args.job: 'job3' is not a job of setup.jobs or of an earlier assign_job step (known: job1, job2)."),
        ("broken_duplicate_key.yaml", 9, "duplicate key 'steps' (first at line 7); keep only one"),
        ("broken_yaml_tab.yaml", 6, "invalid YAML: found character '\\t' that cannot start any token"),
        ("broken_yaml_unclosed.yaml", 5, "invalid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence started at line 4). A bracket or quote is not closed."),
        ("broken_not_a_mapping.yaml", 1, "(top level): a scenario is a mapping with name, description, setup and steps"),
    ],
)
def test_broken_file_names_file_line_and_fix(name: str, line: int, expected: str) -> None:
    error = error_of(name)
    assert error.line == line
    assert str(error).startswith(f"{DATA / name}:{line}: {expected}")


def test_suggestions_for_misspelt_values() -> None:
    assert str(error_of("broken_unknown_action.yaml")).endswith("Did you mean 'take_photo'?")
    assert "Did you mean 'offline'?" in str(error_of("broken_yaml_boolean.yaml"))
    assert "YAML indents with spaces, not tabs" in str(error_of("broken_yaml_tab.yaml"))


def test_the_message_is_one_line_and_counts_further_problems() -> None:
    error = error_of("broken_unknown_key.yaml")
    assert "\n" not in str(error)
    assert str(error).endswith("(1 more problem after this one)")  # the step also lacks an action key
    assert [problem.line for problem in error.problems] == [8, 8]
    assert "a step needs one of: network, as, office" in error.problems[1].message


def test_scenario_error_is_a_harness_error_so_the_cli_exits_2() -> None:
    assert issubclass(ScenarioError, HarnessError)


def parse_steps(steps: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(BASE.replace("{steps}", steps), "scenarios/x.yaml")
    return caught.value


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ("  - wait: soon", "scenarios/x.yaml:7: steps[0].wait: expected a number or a mapping (key: value lines), got the text 'soon'"),
        ("  - wait: {untl: synced}", "scenarios/x.yaml:7: steps[0].wait: unknown key 'untl'. Did you mean 'until'?"),
        ("  - wait: {until: synched}", "scenarios/x.yaml:7: steps[0].wait.until: 'synched' is not one of ['synced', 'idle', 'syncing', 'offline', 'fault_holding', 'upload_offset']. Did you mean 'synced'?"),
        ("  - network: {profile: rural-lte}", "scenarios/x.yaml:7: steps[0].network.profile: 'rural-lte' is not one of ['edge', '3g', 'slow_3g', '4g', 'rural_lte', 'basement', 'tunnel', 'good_wifi']. Did you mean 'rural_lte'?"),
        ("  - fault: {route: /v1/batch, status: 503}", "scenarios/x.yaml:7: steps[0].fault.route: '/v1/batch' is not valid: METHOD /path"),
        ("  - fault: {route: POST /v1/batch, status: 200}", "scenarios/x.yaml:7: steps[0].fault.status: 200 is not one of [429, 500, 502, 503, 504]"),
        ("  - fault: {route: POST /v1/batch, status: 404}", "scenarios/x.yaml:7: steps[0].fault.status: 404 is not one of [429, 500, 502, 503, 504]"),
        ("  - kill: phone", "scenarios/x.yaml:7: steps[0].kill: 'phone' is not one of ['device', 'server']."),
        ("  - label: lonely", "scenarios/x.yaml:7: steps[0]: a step needs one of: network, as, office, fault, commit_then_fail, delay, kill, restart, device_fault, wait, expect (it has: label)"),
        ("  - device_fault: melt_phone", "scenarios/x.yaml:7: steps[0].device_fault: 'melt_phone' is not one of ['corrupt_next_upload_chunk']."),
        ("  - expect: {violations: [LOSTT]}", "scenarios/x.yaml:7: steps[0].expect.violations[0]: 'LOSTT' is not one of ['LOST', "),
        ("  - expect: {card_refused: yes please}", "scenarios/x.yaml:7: steps[0].expect.card_refused: expected true or false, got the text 'yes please'"),
        ("  - expect: {job_status: {job9: complete}}", "scenarios/x.yaml:7: steps[0].expect.job_status.job9: 'job9' is not a job of setup.jobs"),
        ("  - as: alice\n    do: add_note\n    args: {job: job1, txt: hi}", "scenarios/x.yaml:9: steps[0].args: unknown key 'txt'. Did you mean 'text'?"),
        ("  - {office: assign_job, args: {job: job1, technician: alice}}", "scenarios/x.yaml:7: steps[0].args.job: job 'job1' already exists"),
        ("  - {do: add_note, args: {job: job1}}", "scenarios/x.yaml:7: steps[0]: missing required key 'as'"),
    ],
)
def test_step_errors(steps: str, expected: str) -> None:
    assert str(parse_steps(steps)).startswith(expected)


def test_multiline_description_is_refused_with_the_fix() -> None:
    text = BASE.replace("{steps}", "  - network: offline").replace(
        "description: A dead zone on a rural road.", "description: >\n  A dead zone\n  on a rural road.")
    with pytest.raises(ScenarioError, match=r"^s.yaml:2: description: must be a single line \(a plain value, not '>' or '\|'\)"):
        parse_scenario(text, "s.yaml")


def test_name_that_is_not_an_id_gets_a_slug_suggestion() -> None:
    text = BASE.replace("{steps}", "  - network: offline").replace("name: x", "name: Rural Road")
    with pytest.raises(ScenarioError, match=r"^s.yaml:1: name: 'Rural Road' is not valid: .* Did you mean 'rural-road'\?$"):
        parse_scenario(text, "s.yaml")


def test_unknown_seeded_bug_is_named_with_the_closest() -> None:
    text = BASE.replace("{steps}", "  - network: offline").replace(
        "  jobs:", "  bugs: {server: [email_per_retyr]}\n  jobs:")
    with pytest.raises(ScenarioError, match=r"^s.yaml:5: setup.bugs.server\[0\]: 'email_per_retyr' is not a seeded bug"
                                           r" of harness/server/bugs.py .* Did you mean 'email_per_retry'\?$"):
        parse_scenario(text, "s.yaml")


def test_job_of_an_unknown_technician_in_setup() -> None:
    text = BASE.replace("{steps}", "  - network: offline").replace("technician: alice}", "technician: bob}")
    with pytest.raises(ScenarioError, match=r"^s.yaml:5: setup.jobs\[0\].technician: 'bob' is not a technician"):
        parse_scenario(text, "s.yaml")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing yet\n")
    with pytest.raises(ScenarioError, match=r"empty.yaml:1: the file is empty; a scenario needs name, description, setup and steps$"):
        load_scenario(path)


def test_missing_file_and_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"nope.yaml: no such file; check the path$"):
        load_scenario(tmp_path / "nope.yaml")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match=r"latin.yaml:1: is not UTF-8 text \(byte 9\); save it as UTF-8$"):
        load_scenario(latin)


def test_two_documents_in_one_file() -> None:
    text = BASE.replace("{steps}", "  - network: offline") + "---\nname: y\n"
    with pytest.raises(ScenarioError, match=r"^s.yaml:8: invalid YAML: a second document starts here; .* remove the second '---' or split the file$"):
        parse_scenario(text, "s.yaml")
