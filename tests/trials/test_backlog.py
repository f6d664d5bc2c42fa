"""The trial backlog: the same seed gives the same mixed work; photos of varied sizes; GPS never queued."""

from __future__ import annotations

from harness.trials.backlog import JOBS, make_backlog

SIGNERS = {job: f"Customer of {job}" for job in JOBS}


def test_the_same_seed_gives_the_same_actions_and_bytes() -> None:
    assert make_backlog(11, SIGNERS, 5000) == make_backlog(11, SIGNERS, 5000)
    assert make_backlog(11, SIGNERS, 5000) != make_backlog(12, SIGNERS, 5000)


def test_the_backlog_mixes_every_queued_kind_and_uploads_of_varied_sizes() -> None:
    ops = {action.op for action in make_backlog(3, SIGNERS, 5000).offline}
    assert {"set_status", "add_note", "clock_in", "clock_out", "send_invoice", "take_photo",
            "collect_signature"} <= ops
    sizes = {len(a.args["data"]) for seed in range(5) for a in make_backlog(seed, SIGNERS, 5000).media
             if a.op == "take_photo"}
    assert min(sizes) < 100_000 and max(sizes) > 300_000


def test_status_moves_of_each_job_go_forward_and_signatures_keep_the_signer() -> None:
    backlog = make_backlog(7, SIGNERS, 5000)
    for job in JOBS:
        moves = [a.args["status"] for a in backlog.offline if a.op == "set_status" and a.job == job]
        assert moves == ["en_route", "in_progress", "complete"]
        signatures = [a for a in backlog.offline if a.op == "collect_signature" and a.job == job]
        assert len(signatures) <= 1 and all(a.args["signer_name"] == SIGNERS[job] for a in signatures)


def test_online_only_actions_are_done_online_or_while_paused_never_in_the_queue() -> None:
    backlog = make_backlog(5, SIGNERS, 4321)
    assert {a.op for a in backlog.online} == {"report_location", "charge_card"}
    assert [a.args["amount_cents"] for a in backlog.online if a.op == "charge_card"] == [4321]
    assert {a.op for a in backlog.paused} == {"report_location"}
    assert not {"report_location", "charge_card"} & {a.op for a in backlog.offline}
