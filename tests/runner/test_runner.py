"""The runner end to end on the references: a passing scenario, seeded bugs caught, seed replay."""

from __future__ import annotations

from pathlib import Path

from harness.runner import RunOptions, run_scenarios
from harness.runner.execute import ScenarioRun
from harness.runner.recorder import Recorder
from harness.runner.world import World
from harness.scenarios import load_scenario, parse_scenario
from harness.scenarios.model import ActionStep, Job
from .scenario_texts import CLIENT_QUEUES_PAYMENT, CORRUPTED_CHUNK_ON_PROCESS_DEVICE, SERVER_IGNORES_KEY, TINY, write

RESULT_KEYS = {"name", "file", "description", "tags", "seed", "verdict", "duration_s", "violations",
               "expectation_failures", "error", "metrics", "timeline"}


async def run_texts(tmp_path: Path, *texts: str, **options: object):
    scenarios = [load_scenario(write(tmp_path, f"s{index}.yaml", text)) for index, text in enumerate(texts)]
    return await run_scenarios(scenarios, RunOptions(**options))  # type: ignore[arg-type]


async def test_tiny_scenario_passes_with_the_results_shape(tmp_path: Path) -> None:
    run = await run_texts(tmp_path, TINY)
    (result,) = run.scenarios
    assert result.verdict == "pass", result.explain()
    data = run.to_dict()
    assert data["summary"] == {**data["summary"], "total": 1, "passed": 1, "failed": 0, "errors": 0}
    scenario = data["scenarios"][0]
    assert set(scenario) == RESULT_KEYS
    assert scenario["seed"] == 5 and scenario["tags"] == ["smoke", "notes"]
    timeline = scenario["timeline"]
    assert [band["state"] for band in timeline["network"]] == ["online", "offline", "online"]
    assert {item["kind"] for item in timeline["items"]} == {"note", "status"}
    assert all(item["acknowledged_t"] is not None and item["job_id"] == "job1" for item in timeline["items"])
    assert scenario["metrics"]["time_to_sync_s"] is not None


async def test_server_ignoring_the_key_is_caught_as_duplicate(tmp_path: Path) -> None:
    run = await run_texts(tmp_path, SERVER_IGNORES_KEY)
    (result,) = run.scenarios
    assert result.verdict == "fail"
    assert "DUPLICATE" in {violation["kind"] for violation in result.violations}
    assert "replay with --seed 9" in result.explain()


async def test_client_queueing_a_payment_offline_is_caught_as_leaked(tmp_path: Path) -> None:
    run = await run_texts(tmp_path, CLIENT_QUEUES_PAYMENT)
    (result,) = run.scenarios
    assert result.verdict == "fail"
    assert {violation["kind"] for violation in result.violations} == {"LEAKED"}


async def test_seed_option_overrides_the_scenario_seed(tmp_path: Path) -> None:
    run = await run_texts(tmp_path, TINY, seed=77)
    assert run.scenarios[0].seed == 77 and run.to_dict()["seed"] == 77


async def _seeded_world(seed: int) -> tuple[dict, bytes, str]:
    """The jobs the office sees and the generated photo and note text for a seed."""
    from harness.runner.run import environment

    scenario = parse_scenario(TINY)
    async with environment() as env:
        world = await World.create(env.backend, "replay", ("alice",), seed)
        await world.add_jobs([Job("job1", "alice"), Job("job2", "alice")])
        jobs = {}
        for name in ("job1", "job2"):
            job = await env.backend.office(world.office.token, "GET", f"/v1/jobs/{world.job_id(name)}")
            jobs[name] = (job["title"], job["customer"]["name"], job["customer"]["address"], job["line_items"])
        run = ScenarioRun(scenario, world, Recorder(), seed=seed, time_scale=1.0)
        photo = run.action_args(ActionStep(technician="alice", action="take_photo", args={"job": "job1"}), 3)
        note = run.action_args(ActionStep(technician="alice", action="add_note", args={"job": "job1"}), 4)
        await world.close()
    return jobs, photo["data"], note["text"]


async def test_same_seed_replays_the_same_seed_data_and_media() -> None:
    first, second, other = await _seeded_world(21), await _seeded_world(21), await _seeded_world(22)
    assert first == second
    assert other[0] != first[0] and other[1] != first[1]


async def test_killed_device_with_an_in_memory_outbox_loses_items(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "scenarios" / "app_and_backend_crash.yaml").read_text()
    buggy = text.replace("  jobs:", "  bugs: {client: [outbox_in_memory]}\n  jobs:", 1)
    run = await run_texts(tmp_path, text, buggy)
    sound, lost = run.scenarios
    assert sound.verdict == "pass", sound.explain()
    assert lost.verdict == "fail" and {v["kind"] for v in lost.violations} == {"LOST"}


async def test_device_fault_reaches_a_process_device_and_only_a_server_without_checksums_keeps_it(
        tmp_path: Path) -> None:
    run = await run_texts(tmp_path, CORRUPTED_CHUNK_ON_PROCESS_DEVICE.format(bugs=""),
                          CORRUPTED_CHUNK_ON_PROCESS_DEVICE.format(bugs="accept_checksum_mismatch"))
    sound, corrupt = run.scenarios
    assert sound.verdict == "pass", sound.explain()
    assert 460 in [a["http_status"] for item in sound.timeline["items"] for a in item["attempts"]]
    assert corrupt.verdict == "fail" and {v["kind"] for v in corrupt.violations} == {"CORRUPT"}


async def test_a_scenario_gets_the_same_network_seed_and_proxy_names_on_every_run(monkeypatch) -> None:
    # tests/network/test_embedded_live.py shows the same server seed and proxy name replay the jitter
    from harness.runner import run as run_module

    seeds: list[int | None] = []
    real_backend = run_module.network_backend

    def recording_backend(kind: str, **kwargs: object):
        seeds.append(kwargs.get("seed"))  # type: ignore[arg-type]
        return real_backend(kind, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(run_module, "network_backend", recording_backend)
    names = []
    for _ in range(2):
        async with run_module.environment() as env:
            names.append([env.proxy_name("tiny-note", 5), env.proxy_name("tiny-note", 5), env.proxy_name("tiny-note", 6)])
    assert seeds == [run_module.NETWORK_SEED] * 2
    assert names[0] == names[1] == ["tiny-note-seed5-1", "tiny-note-seed5-2", "tiny-note-seed6-1"]
