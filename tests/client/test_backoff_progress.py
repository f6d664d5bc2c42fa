"""The backoff starts again from its base while a cut upload keeps making progress."""

from __future__ import annotations

import os

import httpx

from client_scripts import batch_ok, script
from fake_tus import FakeTus

KB = 1024
BASE = 0.1  # RetryPolicy.base of the make_device fixture


async def test_backoff_does_not_grow_while_each_cut_upload_moves_forward(mock_server, make_device, sleep):
    tus = FakeTus(mock_server)
    tus.cuts = [n * 100 * KB for n in range(1, 10)]  # nine cuts, each after some chunks got through
    photo = os.urandom(1000 * KB)
    device = make_device(chunk_size=64 * KB)
    await device.take_photo("job-1", photo)
    await device.start()
    await device.wait_idle(timeout=10)

    (upload,) = tus.uploads.values()
    assert bytes(upload.data) == photo
    assert len(device.engine.delays) >= 9
    assert max(device.engine.delays) <= BASE  # nine failures in a row would reach a ceiling of 25.6 s


async def test_backoff_still_grows_when_nothing_moves(mock_server, make_device, sleep):
    mock_server.post("/v1/batch").mock(side_effect=script(*[httpx.Response(503)] * 7, batch_ok))
    device = make_device()
    await device.add_note("job-1", "n")
    await device.start()
    await device.wait_idle(timeout=10)

    assert len(device.engine.delays) == 7
    assert max(device.engine.delays) > BASE  # ceilings 0.1, 0.2 ... 6.4 s: the backoff grew
