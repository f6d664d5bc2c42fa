"""One media record per item id and user: another user's item id is a clash, never a replay;
an empty file is complete at creation."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx
from tusclient.client import TusClient

from .support import TUS, Seed, create_upload, head_offset, patch, tus_metadata

PHOTO = os.urandom(20_000)
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def photos(seed: Seed) -> list[dict]:
    return [m for m in seed.ledger()["mutations"] if m["kind"] == "photo"]


def create(c: httpx.Client, job_id: str, item_id: str, data: bytes) -> httpx.Response:
    return c.post("/v1/uploads", headers={**TUS, "Upload-Length": str(len(data)), "Upload-Metadata":
                            tus_metadata(item_id=item_id, kind="photo", job_id=job_id, filename="p.jpg",
                                         sha256=hashlib.sha256(data).hexdigest())})


def test_another_technicians_item_id_is_a_409_at_creation(seed: Seed) -> None:
    mine = create_upload(seed.tech, seed.job_id, PHOTO, item_id="shared-item")
    media_id = patch(seed.tech, mine, 0, PHOTO).headers["Media-Id"]
    theirs = os.urandom(3000)
    response = create(seed.other_tech, seed.other_job_id, "shared-item", theirs)
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "item_id_conflict" and media_id not in response.text
    assert [p["item_id"] for p in photos(seed)] == ["shared-item"]
    assert seed.office.get(f"/v1/jobs/{seed.other_job_id}").json()["photos"] == []


def test_another_technicians_item_id_completing_later_is_a_409_and_no_media_id(seed: Seed) -> None:
    theirs = os.urandom(3000)
    their_upload = create(seed.other_tech, seed.other_job_id, "raced-item", theirs).headers["Location"]
    mine = create_upload(seed.tech, seed.job_id, PHOTO, item_id="raced-item")
    media_id = patch(seed.tech, mine, 0, PHOTO).headers["Media-Id"]
    response = patch(seed.other_tech, their_upload, 0, theirs)
    assert response.status_code == 409 and response.json()["error"]["code"] == "item_id_conflict"
    assert "Media-Id" not in response.headers and media_id not in response.text
    assert seed.other_tech.head(their_upload, headers=TUS).status_code == 410  # refused: upload again, new id
    assert [(p["item_id"], p["content_hash"]) for p in photos(seed)] == [
        ("raced-item", hashlib.sha256(PHOTO).hexdigest())]
    assert seed.office.get(f"/v1/jobs/{seed.other_job_id}").json()["photos"] == []


def test_the_same_technicians_second_upload_of_an_item_still_replays_its_media(seed: Seed) -> None:
    first = create_upload(seed.tech, seed.job_id, PHOTO, item_id="again")
    media_id = patch(seed.tech, first, 0, PHOTO).headers["Media-Id"]
    second = create_upload(seed.tech, seed.job_id, PHOTO, item_id="again")
    assert patch(seed.tech, second, 0, PHOTO).headers["Media-Id"] == media_id
    assert len(photos(seed)) == 1


def test_zero_length_upload_is_complete_at_creation(seed: Seed) -> None:
    response = create(seed.tech, seed.job_id, "empty-photo", b"")
    assert response.status_code == 201, response.text
    media_id = response.headers["Media-Id"]
    location = response.headers["Location"]
    assert head_offset(seed.tech, location) == 0
    assert seed.tech.head(location, headers=TUS).headers["Media-Id"] == media_id
    (record,) = photos(seed)
    assert record["item_id"] == "empty-photo" and record["content_hash"] == EMPTY_SHA256
    assert seed.tech.get(f"/v1/media/{media_id}/content").content == b""
    assert [u["state"] for u in seed.ledger()["uploads"]] == ["complete"]


def test_zero_length_upload_with_a_wrong_sha256_is_refused_at_creation(seed: Seed) -> None:
    response = seed.tech.post("/v1/uploads", headers={**TUS, "Upload-Length": "0", "Upload-Metadata": tus_metadata(
        item_id="empty-wrong", kind="photo", job_id=seed.job_id, sha256="0" * 64)})
    assert response.status_code == 460 and response.json()["error"]["code"] == "checksum_mismatch"
    assert photos(seed) == []


def test_tuspy_uploads_an_empty_file_to_one_record(seed: Seed, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    uploader = TusClient(f"{seed.url}/v1/uploads", headers={"Authorization": f"Bearer {seed.tech_token}"}).uploader(
        str(empty), metadata={"item_id": "tuspy-empty", "kind": "photo", "job_id": seed.job_id,
                              "filename": "empty.jpg", "sha256": EMPTY_SHA256})
    uploader.upload()
    (record,) = photos(seed)
    assert record["item_id"] == "tuspy-empty" and record["content_hash"] == EMPTY_SHA256
