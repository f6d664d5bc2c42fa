"""The checker finds each violation kind, names the right item, and stays quiet on clean histories."""

from __future__ import annotations

from checker_histories import World, found, only_violation

from harness.core.contract import (
    DOCUMENT_SEND, GPS, NOTE, PAYMENT, PHOTO, SIGNATURE, STATUS, TIME_ENTRY,
)


def offline_then_online() -> World:
    """Offline from t=10 to t=30: the technician works in a basement, then walks out."""
    world = World()
    world.network(0, "online")
    world.network(10, "offline")
    world.network(30, "online")
    return world


def test_clean_history_of_every_kind_passes() -> None:
    world = offline_then_online()
    for number, status in enumerate(("en_route", "in_progress", "complete")):
        world.synced(world.intent(STATUS, t=11 + number, status=status), t=31 + number)
    world.synced(world.intent(NOTE, t=15), t=35)
    world.synced(world.intent(TIME_ENTRY, t=16, entry="clock_in", at=0), t=36)
    world.synced(world.intent(PHOTO, t=17), t=37)
    world.synced(world.intent(SIGNATURE, t=18, signer_name="Ada Lovelace"), t=38)
    world.synced(world.intent(DOCUMENT_SEND, t=19), t=39)
    world.synced(world.intent(PAYMENT, t=40), t=40)
    world.synced(world.intent(GPS, t=41, job=None), t=41)
    verdict = world.verdict()
    assert verdict.violations == []
    assert verdict.passed
    assert verdict.explain().startswith("pass")


def test_item_never_sent_and_gone_from_the_device_is_lost() -> None:
    world = World()
    kept = world.synced(world.intent(NOTE, t=1))
    gone = world.intent(NOTE, t=2, text="second note")
    verdict = world.verdict()
    assert found(verdict) == [("LOST", gone["item_id"])]
    assert kept["item_id"] not in verdict.explain()
    assert "never sent" in verdict.violations[0].message


def test_item_still_in_the_outbox_is_stuck_not_lost() -> None:
    world = World()
    note = world.intent(NOTE, t=1)
    world.attempt(note, "fail", t=2, status=503, error="service_unavailable")
    world.history["outbox"].append(note["item_id"])
    assert "1 attempt(s), the last fail" in only_violation(world, "STUCK", note["item_id"]).message


def test_failed_once_and_dropped_is_lost() -> None:
    world = World()
    note = world.intent(NOTE, t=1)
    world.attempt(note, "fail", t=2, status=503, error="service_unavailable")
    assert "service_unavailable" in only_violation(world, "LOST", note["item_id"]).message


def test_refusal_by_the_server_is_lost_with_the_refusal_named() -> None:
    world = World()
    note = world.intent(NOTE, t=1)
    world.attempt(note, "fail", t=2, status=422, error="validation_error")
    world.history["outbox"].append(note["item_id"])  # a refusal is final even if the device keeps it
    assert "HTTP 422 validation_error" in only_violation(world, "LOST", note["item_id"]).message


def test_request_in_progress_is_not_a_refusal() -> None:
    world = World()
    note = world.intent(NOTE, t=1)
    world.attempt(note, "fail", t=2, status=409, error="request_in_progress")
    world.history["outbox"].append(note["item_id"])
    assert found(world.verdict()) == [("STUCK", note["item_id"])]


def test_two_ledger_entries_for_one_item_are_a_duplicate() -> None:
    world = World()
    note = world.synced(world.intent(NOTE, t=1))
    world.apply(note, t=3)
    assert "applied 2 times: ledger seq 1, 2" in only_violation(world, "DUPLICATE", note["item_id"]).message


def test_retry_under_a_fresh_item_id_is_a_duplicate_of_the_original_item() -> None:
    world = World()
    note = world.synced(world.intent(NOTE, t=1))
    world.apply(note, t=3, item_id="minted-on-retry")
    verdict = world.verdict()
    assert found(verdict) == [("DUPLICATE", note["item_id"])]
    assert "under item minted-on-retry" in verdict.violations[0].explain()


def test_info_outcome_applied_once_is_fine() -> None:
    world = World()
    note = world.intent(NOTE, t=1)
    world.attempt(note, "info", t=2, error="connection reset after the request was sent")
    world.apply(note, t=2.05)  # the server committed; the response was lost
    world.attempt(note, "ok", t=4, status=201)  # the retry is replayed
    assert world.verdict().violations == []


def test_info_outcome_applied_twice_is_a_duplicate() -> None:
    world = World()
    note = world.intent(NOTE, t=1)
    world.attempt(note, "info", t=2, error="connection reset")
    world.apply(note, t=2.05)
    world.attempt(note, "ok", t=4, status=201)
    world.apply(note, t=4.05)
    assert "unknown outcome (info)" in only_violation(world, "DUPLICATE", note["item_id"]).message


def test_info_outcome_never_applied_and_dropped_is_lost() -> None:
    world = World()
    note = world.intent(NOTE, t=1)
    world.attempt(note, "info", t=2, error="read timeout")
    assert "unknown (info)" in only_violation(world, "LOST", note["item_id"]).message


def test_server_answered_ok_without_a_ledger_entry_is_lost() -> None:
    world = World()
    note = world.intent(NOTE, t=1)
    world.attempt(note, "ok", t=2, status=201)
    assert "answered ok" in only_violation(world, "LOST", note["item_id"]).message


def test_photo_with_other_bytes_is_corrupt() -> None:
    world = World()
    photo = world.intent(PHOTO, t=1)
    world.attempt(photo, "ok", t=2, status=204)
    world.apply(photo, t=2.1, content_hash="c" * 64)
    assert "cccccccccccc…" in only_violation(world, "CORRUPT", photo["item_id"]).message


def test_signature_with_another_signer_name_is_corrupt() -> None:
    world = World()
    signature = world.intent(SIGNATURE, t=1, signer_name="Zoë Ångström")
    world.attempt(signature, "ok", t=2, status=204)
    world.apply(signature, t=2.1, signer_name="Zo? ?ngstr?m")
    assert "'Zoë Ångström'" in only_violation(world, "CORRUPT", signature["item_id"]).message


def test_ledger_entry_without_intent_is_a_phantom() -> None:
    world = World()
    note = world.synced(world.intent(NOTE, t=1))
    stranger = {**note, "item_id": "never-made", "content_hash": "d" * 64}
    world.apply(stranger, t=5)
    verdict = world.verdict()
    assert found(verdict) == [("PHANTOM", "never-made")]
    assert "device: no intent" in verdict.violations[0].explain()


def test_office_data_in_the_ledger_is_not_a_phantom() -> None:
    world = World()
    world.apply({"item_id": "office-1", "kind": "job", "job_id": "job-9", "content_hash": "0" * 64,
                 "idempotency_key": "k", "extra": {}}, t=1)
    assert world.verdict().violations == []


def test_email_without_intent_or_mutation_is_a_phantom() -> None:
    world = World()
    world.email({"item_id": "ghost-send", "job_id": "job-1", "extra": {}}, t=5)
    assert found(world.verdict()) == [("PHANTOM", "ghost-send")]


def test_status_moves_applied_out_of_order_are_reordered() -> None:
    world = World()
    en_route = world.intent(STATUS, t=1, status="en_route")
    in_progress = world.intent(STATUS, t=2, status="in_progress")
    complete = world.intent(STATUS, t=3, status="complete")
    world.synced(en_route, t=5)
    world.synced(complete, t=6)
    world.synced(in_progress, t=7)
    assert "applied after 'complete'" in only_violation(world, "REORDERED", in_progress["item_id"]).message


def test_statuses_of_different_jobs_do_not_constrain_each_other() -> None:
    world = World()
    first = world.intent(STATUS, t=1, job="job-1", status="en_route")
    second = world.intent(STATUS, t=2, job="job-2", status="en_route")
    world.synced(second, t=5)
    world.synced(first, t=6)
    assert world.verdict().violations == []


def test_legal_move_refused_as_illegal_transition_is_reordered() -> None:
    world = World()
    in_progress = world.intent(STATUS, t=1, status="in_progress")
    en_route = world.intent(STATUS, t=2, status="complete")
    world.synced(en_route, t=5)  # complete went first...
    world.attempt(in_progress, "fail", t=6, status=422, error="illegal_transition")  # ...so this is refused
    verdict = world.verdict()
    assert ("REORDERED", in_progress["item_id"]) in found(verdict)
    message = next(v.message for v in verdict.violations if v.item_id == in_progress["item_id"])
    assert "'scheduled' → 'in_progress' is legal" in message


def test_illegal_move_refused_as_illegal_transition_is_lost_with_the_refusal() -> None:
    world = World()
    complete = world.synced(world.intent(STATUS, t=1, status="complete"), t=2)
    back = world.intent(STATUS, t=3, status="en_route")  # the device let the technician go backwards
    world.attempt(back, "fail", t=4, status=422, error="illegal_transition")
    verdict = world.verdict()
    assert found(verdict) == [("LOST", back["item_id"])]
    assert complete["item_id"] not in [v.item_id for v in verdict.violations]
    assert "illegal_transition" in verdict.violations[0].message


def test_status_recovered_from_the_content_hash_when_extra_lacks_it() -> None:
    world = World()
    en_route = world.intent(STATUS, t=1, status="en_route")
    complete = world.intent(STATUS, t=2, status="complete")
    for intent in (en_route, complete):
        intent["extra"] = {}
    world.synced(complete, t=3)
    world.synced(en_route, t=4)
    assert "'en_route'" in only_violation(world, "REORDERED", en_route["item_id"]).message


def test_payment_accepted_offline_and_charged_from_the_queue_is_leaked() -> None:
    world = offline_then_online()
    payment = world.intent(PAYMENT, t=12)
    world.synced(payment, t=31)
    assert "accepted while offline" in only_violation(world, "LEAKED", payment["item_id"]).message


def test_payment_queued_offline_but_not_charged_yet_is_leaked() -> None:
    world = offline_then_online()
    payment = world.intent(PAYMENT, t=12)
    world.history["outbox"].append(payment["item_id"])
    assert "never queued" in only_violation(world, "LEAKED", payment["item_id"]).message


def test_payment_refused_offline_but_charged_anyway_is_leaked() -> None:
    world = offline_then_online()
    world.history["refused"].append({"kind": PAYMENT, "job_id": "job-1", "at": 12 + 1_800_000_000.0,
                                     "reason": "card payments need a connection"})
    hidden = {"item_id": "queued-behind-the-back", "kind": PAYMENT, "job_id": "job-1",
              "content_hash": "e" * 64, "idempotency_key": "k", "extra": {}}
    world.apply(hidden, t=31)
    world.charge(hidden, t=31)
    assert "refused this payment offline" in only_violation(world, "LEAKED", "queued-behind-the-back").message


def test_payment_made_online_passes_and_refusal_offline_passes() -> None:
    world = offline_then_online()
    world.history["refused"].append({"kind": PAYMENT, "job_id": "job-1", "at": 1_800_000_012.0, "reason": "offline"})
    world.synced(world.intent(PAYMENT, t=35), t=35)
    assert world.verdict().violations == []


def test_declined_card_is_no_violation() -> None:
    world = World()
    payment = world.intent(PAYMENT, t=1)
    world.attempt(payment, "fail", t=2, status=402, error="card_declined")
    assert world.verdict().violations == []


def test_gps_point_recorded_offline_and_synced_is_leaked() -> None:
    world = offline_then_online()
    point = world.synced(world.intent(GPS, t=20, job=None), t=31)
    assert "inside the offline period" in only_violation(world, "LEAKED", point["item_id"]).message


def test_gps_point_invented_for_the_offline_period_is_a_phantom() -> None:
    world = offline_then_online()
    world.synced(world.intent(GPS, t=5, job=None), t=5)
    invented = {"item_id": "interpolated", "kind": GPS, "job_id": None, "content_hash": "f" * 64,
                "idempotency_key": None, "extra": {"at": 1_800_000_020.0}}
    world.apply(invented, t=31)
    assert "invented for the offline period" in only_violation(world, "PHANTOM", "interpolated").message


def test_gps_point_recorded_offline_and_dropped_is_fine() -> None:
    world = offline_then_online()
    world.intent(GPS, t=20, job=None)
    assert world.verdict().violations == []


def test_two_emails_for_one_send_are_a_side_effect_duplicate() -> None:
    world = World()
    send = world.synced(world.intent(DOCUMENT_SEND, t=1))
    world.email(send, t=4)
    assert "2 emails" in only_violation(world, "SIDE_EFFECT_DUP", send["item_id"]).message


def test_two_charges_for_one_payment_are_a_side_effect_duplicate() -> None:
    world = World()
    payment = world.synced(world.intent(PAYMENT, t=1))
    world.charge(payment, t=4)
    assert "charged 2 times (25000 cents in all)" in only_violation(world, "SIDE_EFFECT_DUP", payment["item_id"]).message


def test_send_applied_without_an_email_is_lost() -> None:
    world = World()
    send = world.intent(DOCUMENT_SEND, t=1)
    world.attempt(send, "ok", t=2, status=201)
    world.apply(send, t=2.1)
    assert "no email" in only_violation(world, "LOST", send["item_id"]).message


def test_explanation_shows_intent_attempts_and_ledger() -> None:
    world = World()
    note = world.intent(NOTE, t=1)
    world.attempt(note, "info", t=2, error="connection reset")
    world.apply(note, t=2.05)
    world.attempt(note, "ok", t=4, status=201)
    world.apply(note, t=4.05)
    text = world.verdict().explain()
    assert text.splitlines()[0].startswith(f"DUPLICATE {note['item_id']}: note applied 2 times")
    assert "device: accepted note" in text
    assert "attempt 1:" in text and "info (no response connection reset)" in text
    assert "attempt 2:" in text and "ok (HTTP 201)" in text
    assert text.count("server: applied seq") == 2


def test_verdict_serialises_to_json_ready_dict() -> None:
    import json

    world = World()
    world.intent(NOTE, t=1)
    data = world.verdict().to_dict()
    assert data["verdict"] == "fail"
    assert data["violations"][0]["kind"] == "LOST"
    assert json.loads(json.dumps(data)) == data


# When the device says whether it queued an online-only action, that decides, not the timeline.
def test_payment_the_device_queued_is_leaked_even_if_the_timeline_says_online() -> None:
    world = World()
    payment = world.intent(PAYMENT, t=1)
    payment["queued"] = True
    world.synced(payment, t=2)
    assert "went into the device's queue" in only_violation(world, "LEAKED", payment["item_id"]).message


def test_payment_sent_at_once_as_the_signal_dropped_and_not_charged_is_no_violation() -> None:
    world = offline_then_online()
    payment = world.intent(PAYMENT, t=10.5)  # accepted just after the drop, before the device noticed
    payment["queued"] = False
    world.attempt(payment, "fail", t=10.6)
    assert world.verdict().violations == []


def test_payment_sent_at_once_as_the_signal_dropped_but_charged_is_no_violation() -> None:
    world = offline_then_online()
    payment = world.intent(PAYMENT, t=9.9)
    payment["queued"] = False
    world.apply(payment, t=10.2)  # the server charged it a moment after the proxy went down
    world.charge(payment, t=10.2)
    world.attempt(payment, "info", t=10.0)
    assert world.verdict().violations == []


def test_gps_point_the_device_queued_offline_is_leaked_and_one_sent_at_once_is_not() -> None:
    world = offline_then_online()
    queued = world.intent(GPS, t=20, job=None)
    queued.update(queued=True, online_only=True)
    world.synced(queued, t=31)
    sent = world.intent(GPS, t=10.1, job=None)  # sent as the link dropped; it still got through
    sent.update(queued=False, online_only=True)
    world.synced(sent, t=10.2)
    dropped = world.intent(GPS, t=10.3, job=None)  # sent as the link dropped; it did not
    dropped.update(queued=False, online_only=True)
    world.attempt(dropped, "fail", t=10.3)
    assert found(world.verdict()) == [("LEAKED", queued["item_id"])]
