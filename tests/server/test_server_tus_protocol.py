"""tus 1.0 details real clients rely on: header syntax, Tus-Resumable on every answer, HEAD's metadata,
termination of a finished upload, a 405 that names every method, X-HTTP-Method-Override."""

from __future__ import annotations

import os
from email.utils import parsedate_to_datetime

import pytest

from .support import TUS, Seed, client, create_upload, patch, tus_metadata

PHOTO = os.urandom(5_000)

# What str.isdigit() accepts but int() refuses or chokes on (the latin-1 superscript two arrives
# as the str "²" once Starlette decodes the header; 5000 digits pass Python's int() digit limit),
# what no 64-bit size can be, and what is no integer at all.
NOT_AN_OFFSET = [b"\xb2", b"1\xb2", "9" * 5000, "9" * 20, "-1", "+5", "0x10", "", "1e3", "1_000"]


def short(value: str | bytes) -> str:
    return repr(value) if len(value) < 30 else f"{len(value)} digits"


@pytest.mark.parametrize("value", NOT_AN_OFFSET, ids=short)
def test_upload_length_that_is_not_ascii_digits_is_400(seed: Seed, value: str | bytes) -> None:
    meta = tus_metadata(item_id="x", kind="photo", job_id=seed.job_id, sha256="0" * 64)
    response = seed.tech.post("/v1/uploads", headers={**TUS, "Upload-Length": value, "Upload-Metadata": meta})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_header" and "Upload-Length" in error["message"]
    assert seed.ledger()["uploads"] == []


@pytest.mark.parametrize("value", NOT_AN_OFFSET, ids=short)
def test_upload_offset_that_is_not_ascii_digits_is_400(seed: Seed, value: str | bytes) -> None:
    location = create_upload(seed.tech, seed.job_id, PHOTO)
    response = seed.tech.patch(location, content=PHOTO[:10], headers={
        **TUS, "Upload-Offset": value, "Content-Type": "application/offset+octet-stream"})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_header" and "Upload-Offset" in error["message"]


def test_head_returns_the_metadata_as_sent_at_creation(seed: Seed) -> None:
    meta = tus_metadata(item_id="photo-meta", kind="photo", job_id=seed.job_id, sha256="a" * 64,
                        filename="pump.jpg", filetype="image/jpeg") + ",is_confidential"
    created = seed.tech.post("/v1/uploads", headers={**TUS, "Upload-Length": "10", "Upload-Metadata": meta})
    assert created.status_code == 201, created.text
    head = seed.tech.head(created.headers["Location"], headers=TUS)
    assert head.status_code == 200 and head.headers["Upload-Metadata"] == meta


def test_every_answer_under_uploads_carries_tus_resumable(seed: Seed) -> None:
    location = create_upload(seed.tech, seed.job_id, PHOTO)
    answers = {
        "401 no token": client(seed.url, None).head(location, headers=TUS),
        "401 unknown token": client(seed.url, "nobody").post("/v1/uploads", headers=TUS),
        "403 admin token": seed.admin.head(location, headers=TUS),
        "404 other technician": seed.other_tech.head(location, headers=TUS),
        "405 GET": seed.tech.get(location, headers=TUS),
        "412 no Tus-Resumable": seed.tech.head(location),
        "400 bad offset": patch(seed.tech, location, -1, b""),  # type: ignore[arg-type]
        "201 creation": seed.tech.post("/v1/uploads", headers={**TUS, "Upload-Length": "1", "Upload-Metadata":
                                       tus_metadata(item_id="y", kind="photo", job_id=seed.job_id, sha256="0" * 64)}),
        "200 HEAD": seed.tech.head(location, headers=TUS),
        "204 PATCH": patch(seed.tech, location, 0, PHOTO[:10]),
    }
    missing = {name: r.status_code for name, r in answers.items() if r.headers.get("Tus-Resumable") != "1.0.0"}
    assert missing == {}
    assert {name.split()[0] for name in answers} == {str(r.status_code) for r in answers.values()}


def test_405_allow_names_every_method_of_the_upload_resource(seed: Seed) -> None:
    location = create_upload(seed.tech, seed.job_id, PHOTO)
    for method in ("GET", "PUT", "POST"):
        response = seed.tech.request(method, location, headers=TUS)
        assert response.status_code == 405, method
        assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"HEAD", "PATCH", "DELETE"}
    response = seed.tech.get("/v1/uploads", headers=TUS)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"POST", "OPTIONS"}


def test_method_override_header_turns_a_post_into_patch_and_delete(seed: Seed) -> None:
    location = create_upload(seed.tech, seed.job_id, PHOTO)
    headers = {**TUS, "Content-Type": "application/offset+octet-stream", "X-HTTP-Method-Override": "PATCH"}
    first = seed.tech.post(location, content=PHOTO[:1000], headers={**headers, "Upload-Offset": "0"})
    assert first.status_code == 204 and first.headers["Upload-Offset"] == "1000"
    done = seed.tech.post(location, content=PHOTO[1000:], headers={**headers, "Upload-Offset": "1000"})
    assert done.status_code == 204 and "Media-Id" in done.headers
    assert seed.tech.get(f"/v1/media/{done.headers['Media-Id']}/content").content == PHOTO
    other = create_upload(seed.tech, seed.job_id, PHOTO)
    assert seed.tech.post(other, headers={**TUS, "X-HTTP-Method-Override": "DELETE"}).status_code == 204
    assert seed.tech.head(other, headers=TUS).status_code == 404


def test_terminating_a_completed_upload_ends_the_upload_but_keeps_the_photo(seed: Seed) -> None:
    location = create_upload(seed.tech, seed.job_id, PHOTO)
    media_id = patch(seed.tech, location, 0, PHOTO).headers["Media-Id"]
    assert seed.tech.delete(location, headers=TUS).status_code == 204
    assert seed.tech.head(location, headers=TUS).status_code in (404, 410)
    assert patch(seed.tech, location, len(PHOTO), b"").status_code in (404, 410)
    assert seed.tech.get(f"/v1/media/{media_id}/content").content == PHOTO
    assert [m["item_id"] for m in seed.ledger()["mutations"] if m["kind"] == "photo"] != []


def test_upload_expires_is_an_http_date_on_creation_head_and_patch(seed: Seed) -> None:
    meta = tus_metadata(item_id="dated", kind="photo", job_id=seed.job_id, sha256="0" * 64)
    created = seed.tech.post("/v1/uploads", headers={**TUS, "Upload-Length": "10", "Upload-Metadata": meta})
    location = created.headers["Location"]
    answers = [created, seed.tech.head(location, headers=TUS), patch(seed.tech, location, 0, b"12345")]
    # tus 1.0 expiration: "The value of the Upload-Expires header MUST be in RFC 7231 datetime format"
    assert all(parsedate_to_datetime(r.headers["Upload-Expires"]).tzinfo is not None for r in answers)


def test_patch_content_type_is_matched_without_regard_to_case(seed: Seed) -> None:
    # RFC 9110 §8.3.1: type and subtype names are case-insensitive.
    location = create_upload(seed.tech, seed.job_id, PHOTO)
    response = seed.tech.patch(location, content=PHOTO, headers={
        **TUS, "Upload-Offset": "0", "Content-Type": "Application/Offset+Octet-Stream"})
    assert response.status_code == 204, response.text
    assert response.headers["Upload-Offset"] == str(len(PHOTO))
