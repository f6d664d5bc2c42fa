"""Media go over tus: chunked from disk, resumed from the server's offset, even after a restart."""

from __future__ import annotations

import hashlib
import os

import httpx
import pytest

from client_scripts import script
from fake_tus import FakeTus
from harness.core.contract import content_hash

MB = 1024 * 1024


async def test_photo_uploads_in_checksummed_chunks(mock_server, make_device):
    tus = FakeTus(mock_server)
    photo = os.urandom(3 * MB + 123)
    device = make_device(chunk_size=MB)
    item = await device.take_photo("job-1", photo, filename="pump.jpg")
    await device.start()
    await device.wait_idle(timeout=10)

    (upload,) = tus.uploads.values()
    assert bytes(upload.data) == photo
    assert upload.metadata["sha256"] == hashlib.sha256(photo).hexdigest() == item["content_hash"]
    assert upload.metadata["filename"] == "pump.jpg" and upload.metadata["kind"] == "photo"
    assert [size for _, size in tus.patches] == [MB, MB, MB, 123]
    assert device.store.outbox_items()[0]["result"] == {"media_id": "m-" + item["item_id"]}


async def test_cut_upload_resumes_from_the_servers_offset(mock_server, make_device):
    tus = FakeTus(mock_server)
    tus.cuts = [int(1.5 * MB), int(2.2 * MB)]
    photo = os.urandom(3 * MB)
    device = make_device(chunk_size=MB)
    await device.take_photo("job-1", photo)
    await device.start()
    await device.wait_idle(timeout=10)

    (upload,) = tus.uploads.values()
    assert bytes(upload.data) == photo
    offsets = [offset for offset, _ in tus.patches]
    assert int(1.5 * MB) in offsets and int(2.2 * MB) in offsets  # resumed exactly where the cut left it
    assert offsets == sorted(set(offsets))  # never goes back: only bytes past each cut are sent again
    after_cut = offsets.index(int(1.5 * MB))
    assert tus.patches[after_cut][1] == 64 * 1024  # after a cut the chunk size drops to its minimum
    assert tus.heads == 2


async def test_resume_survives_a_restart_on_the_same_store(mock_server, make_device, tmp_path):
    tus = FakeTus(mock_server)
    tus.cuts = [int(1.5 * MB)]
    photo = os.urandom(2 * MB)
    first = make_device(chunk_size=MB)
    item = await first.take_photo("job-1", photo)
    # run the upload by hand up to the cut, then "kill" the app
    pending = first.store.pending(media=True)[0]
    try:
        await first.engine.tus.upload(pending)
    except Exception:
        pass
    await first.close()
    assert tus.uploads["u1"].data == photo[: int(1.5 * MB)]

    second = make_device(chunk_size=MB)
    await second.start()
    await second.wait_idle(timeout=10)
    assert list(tus.uploads) == ["u1"]  # no second creation: the persisted URL was resumed
    assert bytes(tus.uploads["u1"].data) == photo
    assert tus.heads == 1 and tus.patches[-1][0] == int(1.5 * MB)
    assert second.store.outbox_items()[0]["state"] == "done"
    assert second.history()["intents"][0]["content_hash"] == content_hash("photo", {"sha256": hashlib.sha256(photo).hexdigest()})
    assert item["item_id"] == second.history()["intents"][0]["item_id"]


async def test_upload_restart_from_zero_bug_creates_a_new_upload(mock_server, make_device):
    tus = FakeTus(mock_server)
    tus.cuts = [int(1.5 * MB)]
    photo = os.urandom(2 * MB)
    device = make_device(chunk_size=MB, bugs=["upload_restart_from_zero"])
    await device.take_photo("job-1", photo)
    await device.start()
    await device.wait_idle(timeout=10)
    assert list(tus.uploads) == ["u1", "u2"] and tus.heads == 0
    assert bytes(tus.uploads["u2"].data) == photo
    assert tus.bytes_patched() > len(photo) + MB // 2


async def test_signature_keeps_the_signer_name(mock_server, make_device, tmp_path):
    tus = FakeTus(mock_server)
    path = tmp_path / "sig.png"
    path.write_bytes(b"\x89PNG" + os.urandom(5000))
    device = make_device()
    item = await device.collect_signature("job-1", path, "Ada Lovelace")
    await device.start()
    await device.wait_idle(timeout=10)
    (upload,) = tus.uploads.values()
    assert upload.metadata["signer_name"] == "Ada Lovelace" and upload.metadata["filename"] == "sig.png"
    assert bytes(upload.data) == path.read_bytes()
    assert device.history()["intents"][0]["extra"]["signer_name"] == "Ada Lovelace"
    assert item["kind"] == "signature"


async def test_a_malformed_tus_answer_does_not_stop_the_engine(mock_server, make_device):
    tus = FakeTus(mock_server)
    tus.cuts = [int(0.5 * MB)]
    mock_server.route(method="HEAD", path__startswith="/v1/uploads/").mock(
        side_effect=script(httpx.Response(200), tus.head))  # first HEAD lacks Upload-Offset
    photo = os.urandom(MB)
    device = make_device(chunk_size=MB)
    await device.take_photo("job-1", photo)
    await device.start()
    await device.wait_idle(timeout=10)
    assert bytes(tus.uploads["u1"].data) == photo
    assert device.state()["engine_errors"] == ["KeyError: 'Upload-Offset'"]


async def test_upload_whose_server_died_before_the_record_is_finished_by_an_empty_patch(mock_server, make_device):
    tus = FakeTus(mock_server)
    tus.die_before_record = True  # every byte stored, then the server dies before making the photo
    photo = os.urandom(MB + 17)
    device = make_device(chunk_size=MB)
    item = await device.take_photo("job-1", photo)
    await device.start()
    await device.wait_idle(timeout=10)

    assert tus.records == {"u1": "m-" + item["item_id"]}  # the record exists: the photo is not lost
    assert tus.patches[-1] == (len(photo), 0)  # the empty PATCH at the end offset that finished it
    assert device.store.outbox_items()[0]["result"] == {"media_id": "m-" + item["item_id"]}


async def test_chunk_corrupted_on_the_link_is_refused_by_checksum_and_sent_again(mock_server, make_device):
    tus = FakeTus(mock_server)
    photo = os.urandom(3 * MB)
    device = make_device(chunk_size=MB)
    await device.inject_fault("corrupt_next_upload_chunk")
    await device.take_photo("job-1", photo)
    await device.start()
    await device.wait_idle(timeout=10)

    (upload,) = tus.uploads.values()
    assert bytes(upload.data) == photo
    assert device.link.corrupted == 1
    statuses = [a["http_status"] for a in device.history()["attempts"] if a["op"] == "tus_patch"]
    assert statuses[0] == 460 and statuses.count(460) == 1


async def test_unknown_device_fault_is_refused(make_device):
    device = make_device()
    with pytest.raises(ValueError, match="unknown device fault"):
        await device.inject_fault("melt_the_phone")
