"""The rules for a history that went through a kill: acknowledged actions survive the restart; no
partial, doubled or foreign media record is visible."""

from __future__ import annotations

from typing import Any

from harness.checker.survival import acknowledged_survived, check_survival, media_complete
from harness.core.contract import sha256_hex

PHOTO = b"\x89PNG" + bytes(range(256)) * 40
INTENT = {"item_id": "p1", "kind": "photo", "job_id": "j1", "content_hash": sha256_hex(PHOTO),
          "online_only": False, "extra": {"size": len(PHOTO)}}
HISTORY = {"intents": [INTENT]}


def record(data: bytes, item_id: str = "p1", media_id: str = "m1") -> dict[str, Any]:
    return {"id": media_id, "item_id": item_id, "kind": "photo", "size": len(data), "job_id": "j1",
            "downloaded": len(data), "downloaded_sha256": sha256_hex(data)}


def test_an_acknowledged_action_missing_after_the_restart_is_lost() -> None:
    answer = {"item_id": "n9", "kind": "note", "job_id": "j1", "content_hash": "abc"}
    found = acknowledged_survived({"n9": answer, "p1": INTENT}, HISTORY)
    assert [(v.kind, v.item_id) for v in found] == [("LOST", "n9")]


def test_an_acknowledged_action_whose_content_changed_is_corrupt() -> None:
    found = acknowledged_survived({"p1": {**INTENT, "content_hash": "0" * 64}}, HISTORY)
    assert [v.kind for v in found] == ["CORRUPT"]


def test_whole_media_pass() -> None:
    assert media_complete([record(PHOTO)], HISTORY, {"p1"}) == []


def test_a_partial_upload_visible_as_a_media_record_is_corrupt() -> None:
    found = media_complete([record(PHOTO[:1000])], HISTORY, {"p1"})
    assert [v.kind for v in found] == ["CORRUPT"] and "1000 bytes" in found[0].message


def test_two_records_for_one_photo_and_a_record_nobody_made() -> None:
    found = media_complete([record(PHOTO), record(PHOTO, media_id="m2"), record(b"x", "zz", "m3")], HISTORY, {"p1"})
    assert sorted(v.kind for v in found) == ["DUPLICATE", "PHANTOM"]


def test_media_applied_in_the_ledger_but_not_visible_is_lost() -> None:
    assert [v.kind for v in media_complete([], HISTORY, {"p1"})] == ["LOST"]
    assert media_complete([], HISTORY, set()) == []  # not applied: the checker reports it


def test_a_violation_names_its_item_and_tells_the_evidence() -> None:
    answer = {"item_id": "n9", "kind": "note", "job_id": "j1", "content_hash": "abc"}
    (lost,) = check_survival({"n9": answer}, {"intents": []}, {"mutations": []}, [])
    assert lost.to_dict() == {
        "kind": "LOST", "item_id": "n9",
        "message": "note acknowledged before the kill is missing from the device's intent log after the restart",
        "history": ["device: acknowledged note of job j1 before the kill", "device: no intent after restart"],
    }
    assert lost.explain().splitlines()[1:] == ["  device: acknowledged note of job j1 before the kill",
                                               "  device: no intent after restart"]


def test_check_survival_reads_what_was_applied_from_the_ledger() -> None:
    assert [v.kind for v in check_survival({}, HISTORY, {"mutations": [{"item_id": "p1"}]}, [])] == ["LOST"]
    assert check_survival({"p1": INTENT}, HISTORY, {"mutations": [{"item_id": "p1"}]}, [record(PHOTO)]) == []
