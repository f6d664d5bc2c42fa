"""Load-time rules the schema cannot express: the order of kills and restarts, finite numbers, and
a technician acting only on their own jobs. Each is one line with file:line and the fix, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from harness.scenarios import ScenarioError, parse_scenario

HEAD = """\
name: x
description: A dead zone on a rural road.
setup:
  technicians: [alice, bob]
  jobs:
    - {id: job1, technician: alice}
    - {id: job2, technician: bob}
steps:
"""


def error_of(steps: str, head: str = HEAD) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(head + steps, "scenarios/x.yaml")
    assert "\n" not in str(caught.value)
    return str(caught.value)


@pytest.mark.parametrize("target", ["server", "device"])
def test_restart_with_no_kill_before_it_is_refused(target: str) -> None:
    assert error_of(f"  - network: offline\n  - restart: {target}\n") == (
        f"scenarios/x.yaml:10: steps[1].restart: `restart: {target}` with no `kill: {target}` before it: the"
        f" {target} is still running and a second one cannot start beside it; add `kill: {target}` before"
        " this step, or remove it")


def test_a_second_restart_after_one_kill_is_refused() -> None:
    assert error_of("  - kill: server\n  - restart: server\n  - restart: server\n").startswith(
        "scenarios/x.yaml:11: steps[2].restart: `restart: server` with no `kill: server` before it")


def test_killing_twice_is_refused() -> None:
    assert error_of("  - kill: device\n  - kill: device\n  - restart: device\n") == (
        "scenarios/x.yaml:10: steps[1].kill: the device is already killed (at line 9) and not restarted since;"
        " remove this kill, or add `restart: device` before it")


def test_a_server_killed_and_never_restarted_is_refused() -> None:
    assert error_of("  - kill: server\n  - network: offline\n") == (
        "scenarios/x.yaml:9: the server is killed here and never restarted; add `restart: server` after it"
        " (the checker reads the server's ledger at the end)")


@pytest.mark.parametrize(("step", "target"), [
    ("{as: alice, do: add_note, args: {job: job1}}", "device"),
    ("wait: {until: synced}", "device"),
    ("expect: {queued: 0}", "device"),
    ("{office: assign_job, args: {job: job3, technician: alice}}", "server"),
    ("fault: {route: POST /v1/batch, status: 503}", "server"),
    ("expect: {emails: 0}", "server"),
])
def test_a_step_that_needs_a_killed_part_is_refused(step: str, target: str) -> None:
    assert error_of(f"  - kill: {target}\n  - {step}\n  - restart: {target}\n") == (
        f"scenarios/x.yaml:10: steps[1]: this step needs the {target}, killed at line 9 and not restarted yet;"
        f" add `restart: {target}` before it")


def test_kills_and_restarts_in_order_load() -> None:
    steps = ("  - kill: device\n  - network: online\n  - restart: device\n  - kill: server\n  - restart: server\n"
             "  - kill: device\n")  # a device left killed is started again by the runner to read its store
    assert len(parse_scenario(HEAD + steps).steps) == 6


@pytest.mark.parametrize(("where", "text", "line", "path"), [
    ("steps", "  - wait: .inf\n", 9, "steps[0].wait"),
    ("steps", "  - wait: -.Inf\n", 9, "steps[0].wait"),
    ("steps", "  - wait: .NaN\n", 9, "steps[0].wait"),
    ("steps", "  - wait: 1.0e+999\n", 9, "steps[0].wait"),
    ("steps", "  - wait: {until: synced, deadline_s: .inf}\n", 9, "steps[0].wait.deadline_s"),
    ("steps", "  - delay: {route: POST /v1/batch, seconds: .inf}\n", 9, "steps[0].delay.seconds"),
    ("steps", "  - fault: {route: POST /v1/batch, status: 429, retry_after: .nan}\n", 9, "steps[0].fault.retry_after"),
    ("head", "deadline: .inf\n", 1, "deadline"),
])
def test_a_number_that_is_not_finite_is_refused(where: str, text: str, line: int, path: str) -> None:
    if where == "head":
        message = error_of("  - network: offline\n", head=text + HEAD)
    else:
        message = error_of(text)
    written = text.split(": ")[-1].strip(" }\n").split(": ")[-1]
    read = "not a number" if "nan" in written.lower() else "infinity"
    assert message == (f"scenarios/x.yaml:{line}: {path}: {written} is not a finite number (YAML reads it as"
                       f" {read}); write a plain number, e.g. 30")


def test_a_technician_acting_on_another_technicians_job_is_refused() -> None:
    assert error_of("  - {as: bob, do: add_note, args: {job: job1}}\n") == (
        "scenarios/x.yaml:9: steps[0].args.job: job 'job1' is alice's, not bob's; a technician works only on"
        " their own jobs: write `as: alice`, or give bob a job of their own")


def test_a_job_assigned_mid_scenario_belongs_to_its_technician() -> None:
    steps = ("  - {office: assign_job, args: {job: job3, technician: bob}}\n"
             "  - {as: alice, do: open_job, args: {job: job3}}\n")
    assert error_of(steps).startswith("scenarios/x.yaml:10: steps[1].args.job: job 'job3' is bob's, not alice's")
    assert parse_scenario(HEAD + steps.replace("as: alice", "as: bob")).steps[1].technician == "bob"


@pytest.mark.parametrize(("steps", "expected"), [
    ("  - restart: server\n", "scenarios/x.yaml:9: steps[0].restart: `restart: server` with no `kill: server`"),
    ("  - wait: .inf\n", "scenarios/x.yaml:9: steps[0].wait: .inf is not a finite number"),
    ("  - {as: bob, do: add_note, args: {job: job1}}\n",
     "scenarios/x.yaml:9: steps[0].args.job: job 'job1' is alice's"),
])
def test_offline_harness_run_exits_2_with_one_line(steps: str, expected: str, tmp_path: Path, monkeypatch,
                                                   capsys) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "x.yaml").write_text(HEAD + steps)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "scenarios/x.yaml"]) == 2
    out, err = capsys.readouterr()
    assert err.startswith(f"offline-harness run: error: {expected}") and err.count("\n") == 1, err
    assert "Traceback" not in out + err
