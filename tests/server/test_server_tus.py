"""tus 1.0 uploads: resume after a cut, checksums, one record per item id, limits, termination, expiry."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from harness.server.running import InProcessServer
from harness.server.tus import MAX_UPLOAD_BYTES

from .support import (TUS, Seed, client, create_upload, cut_patch, head_offset, make_seed, open_patch, patch,
                      tus_metadata, wait_for)

PHOTO = os.urandom(300_000)


def media_records(seed: Seed) -> list[dict]:
    return [m for m in seed.ledger()["mutations"] if m["kind"] in ("photo", "signature")]


def test_options_advertises_version_extensions_and_limits(seed: Seed) -> None:
    response = seed.tech.options("/v1/uploads")
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) == {"creation", "checksum", "termination", "expiration"}
    assert int(response.headers["Tus-Max-Size"]) == MAX_UPLOAD_BYTES
    assert "sha256" in response.headers["Tus-Checksum-Algorithm"].split(",")


def test_upload_in_chunks_becomes_one_photo_with_identical_bytes(seed: Seed) -> None:
    location = create_upload(seed.tech, seed.job_id, PHOTO)
    assert head_offset(seed.tech, location) == 0
    assert patch(seed.tech, location, 0, PHOTO[:100_000]).headers["Upload-Offset"] == "100000"
    done = patch(seed.tech, location, 100_000, PHOTO[100_000:])
    assert done.status_code == 204 and done.headers["Upload-Offset"] == str(len(PHOTO))
    media_id = done.headers["Media-Id"]
    (photo,) = seed.tech.get(f"/v1/jobs/{seed.job_id}").json()["photos"]
    assert photo["id"] == media_id and photo["sha256"] == hashlib.sha256(PHOTO).hexdigest()
    assert seed.tech.get(photo["url"]).content == PHOTO
    (record,) = media_records(seed)
    assert record["content_hash"] == hashlib.sha256(PHOTO).hexdigest()


def resume_at(seed: Seed, location: str, offset: int) -> None:
    """Once HEAD says ``offset``, send the rest: the photo must come out whole."""
    assert wait_for(lambda: head_offset(seed.tech, location) == offset)
    done = patch(seed.tech, location, offset, PHOTO[offset:])
    assert done.status_code == 204 and "Media-Id" in done.headers
    assert seed.tech.get(f"/v1/media/{done.headers['Media-Id']}/content").content == PHOTO


def test_cut_mid_patch_keeps_received_bytes_and_resumes_from_head_offset(seed: Seed) -> None:
    location = create_upload(seed.tech, seed.job_id, PHOTO)
    cut_patch(seed.url, seed.tech_token, location, 0, len(PHOTO), PHOTO[:123_456])
    resume_at(seed, location, 123_456)


def test_new_patch_takes_over_from_a_stalled_one_and_keeps_its_bytes(seed: Seed) -> None:
    location = create_upload(seed.tech, seed.job_id, PHOTO)
    with open_patch(seed.url, seed.tech_token, location, 0, len(PHOTO), PHOTO[:50_000]):  # then silence
        resume_at(seed, location, 50_000)


def test_cut_in_headers_keeps_nothing_and_upload_restarts_at_zero(seed: Seed) -> None:
    location = create_upload(seed.tech, seed.job_id, PHOTO)
    cut_patch(seed.url, seed.tech_token, location, 0, len(PHOTO), b"")
    assert head_offset(seed.tech, location) == 0
    assert "Media-Id" in patch(seed.tech, location, 0, PHOTO).headers


def test_wrong_offset_is_409_with_the_server_offset(seed: Seed) -> None:
    location = create_upload(seed.tech, seed.job_id, PHOTO)
    patch(seed.tech, location, 0, PHOTO[:1000])
    response = patch(seed.tech, location, 500, PHOTO[500:2000])
    assert response.status_code == 409 and response.json()["error"]["code"] == "offset_mismatch"
    assert head_offset(seed.tech, location) == 1000


def test_chunk_checksum_mismatch_is_460_and_chunk_dropped(seed: Seed) -> None:
    location = create_upload(seed.tech, seed.job_id, PHOTO)
    wrong = base64.b64encode(hashlib.sha1(b"other").digest()).decode()
    response = patch(seed.tech, location, 0, PHOTO[:1000], **{"Upload-Checksum": f"sha1 {wrong}"})
    assert response.status_code == 460 and response.json()["error"]["code"] == "checksum_mismatch"
    assert head_offset(seed.tech, location) == 0
    right = base64.b64encode(hashlib.sha256(PHOTO[:1000]).digest()).decode()
    assert patch(seed.tech, location, 0, PHOTO[:1000], **{"Upload-Checksum": f"sha256 {right}"}).status_code == 204
    assert head_offset(seed.tech, location) == 1000


def test_unsupported_checksum_algorithm_is_400(seed: Seed) -> None:
    location = create_upload(seed.tech, seed.job_id, PHOTO)
    response = patch(seed.tech, location, 0, PHOTO[:10], **{"Upload-Checksum": "crc32 AAAA"})
    assert response.status_code == 400 and head_offset(seed.tech, location) == 0


def test_whole_file_sha256_mismatch_is_460_discarded_and_no_photo(seed: Seed) -> None:
    location = create_upload(seed.tech, seed.job_id, PHOTO, sha256=hashlib.sha256(b"the real photo").hexdigest())
    response = patch(seed.tech, location, 0, PHOTO)
    assert response.status_code == 460 and response.json()["error"]["code"] == "checksum_mismatch"
    assert seed.tech.head(location, headers=TUS).status_code == 410
    assert seed.tech.get(f"/v1/jobs/{seed.job_id}").json()["photos"] == []
    assert media_records(seed) == []


def test_orphan_creation_then_second_upload_of_same_item_gives_one_record(seed: Seed) -> None:
    orphan = create_upload(seed.tech, seed.job_id, PHOTO, item_id="photo-1")  # its response was "lost"
    second = create_upload(seed.tech, seed.job_id, PHOTO, item_id="photo-1")
    first_id = patch(seed.tech, second, 0, PHOTO).headers["Media-Id"]
    again_id = patch(seed.tech, orphan, 0, PHOTO).headers["Media-Id"]
    third = create_upload(seed.tech, seed.job_id, PHOTO, item_id="photo-1")
    assert patch(seed.tech, third, 0, PHOTO).headers["Media-Id"] == first_id == again_id
    assert len(media_records(seed)) == 1
    assert len(seed.tech.get(f"/v1/jobs/{seed.job_id}").json()["photos"]) == 1


def test_signature_keeps_signer_name(seed: Seed) -> None:
    ink = os.urandom(2000)
    location = create_upload(seed.tech, seed.job_id, ink, kind="signature", signer_name="Carl Customer")
    patch(seed.tech, location, 0, ink)
    signature = seed.tech.get(f"/v1/jobs/{seed.job_id}").json()["signature"]
    assert signature["signer_name"] == "Carl Customer" and signature["sha256"] == hashlib.sha256(ink).hexdigest()


def test_over_limit_length_is_413(seed: Seed) -> None:
    meta = tus_metadata(item_id="big", kind="photo", job_id=seed.job_id, sha256="0" * 64)
    response = seed.tech.post("/v1/uploads", headers={**TUS, "Upload-Length": str(MAX_UPLOAD_BYTES + 1),
                                                      "Upload-Metadata": meta})
    assert response.status_code == 413 and response.json()["error"]["code"] == "upload_too_large"
    assert seed.ledger()["uploads"] == []


def test_body_past_upload_length_is_400_and_keeps_offset(seed: Seed) -> None:
    location = create_upload(seed.tech, seed.job_id, PHOTO[:100])
    response = patch(seed.tech, location, 0, PHOTO[:200])
    assert response.status_code == 400 and head_offset(seed.tech, location) == 0


def test_missing_tus_resumable_is_412(seed: Seed) -> None:
    location = create_upload(seed.tech, seed.job_id, PHOTO)
    response = seed.tech.head(location)
    assert response.status_code == 412 and response.headers["Tus-Version"] == "1.0.0"


def test_termination_removes_the_upload(seed: Seed) -> None:
    location = create_upload(seed.tech, seed.job_id, PHOTO)
    patch(seed.tech, location, 0, PHOTO[:1000])
    assert seed.tech.delete(location, headers=TUS).status_code == 204
    assert seed.tech.head(location, headers=TUS).status_code == 404
    assert patch(seed.tech, location, 1000, PHOTO[1000:]).status_code == 404


def test_expired_upload_is_410(tmp_path: Path) -> None:
    with InProcessServer(tmp_path / "ttl.db", upload_ttl=0.3) as server:
        seed = make_seed(server.url, server.admin_token)
        location = create_upload(seed.tech, seed.job_id, PHOTO)
        # Waits for the expiry itself, however slow the machine (Upload-Expires: test_server_tus_protocol.py).
        assert wait_for(lambda: seed.tech.head(location, headers=TUS).status_code == 410, timeout=30)
        assert patch(seed.tech, location, 0, PHOTO).status_code == 410
        assert [u["state"] for u in seed.ledger()["uploads"]] == ["expired"]


def test_other_technician_cannot_see_or_patch_an_upload(seed: Seed) -> None:
    location = create_upload(seed.tech, seed.job_id, PHOTO)
    assert seed.other_tech.head(location, headers=TUS).status_code == 404
    assert patch(seed.other_tech, location, 0, PHOTO).status_code == 404
    assert head_offset(seed.tech, location) == 0
    unused = client(seed.url, None)
    assert unused.head(location, headers=TUS).status_code == 401
