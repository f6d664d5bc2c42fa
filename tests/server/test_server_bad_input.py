"""Bad input of every sort gets a 4xx JSON error naming the problem, and stores nothing."""

from __future__ import annotations

import logging
import socket
import uuid
from typing import Any, Callable, Iterator

import httpx
import pytest

from harness.server.app import MAX_JSON_BODY
from harness.server.running import InProcessServer

from .support import TUS, Seed, create_upload, item, make_seed, tus_metadata, wait_for


@pytest.fixture(scope="module")
def home(server: InProcessServer) -> Iterator[Seed]:
    seed = make_seed(server.url, server.admin_token)
    seed.upload = create_upload(seed.tech, seed.job_id, b"x" * 100)
    yield seed


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def raw_post(path: str, content: bytes, **headers: str) -> Callable[[Seed], httpx.Response]:
    return lambda s: s.tech.post(path.format(job=s.job_id), content=content,
                                 headers={"Content-Type": "application/json", **key(), **headers})


def json_post(path: str, body: Any, c: str = "tech") -> Callable[[Seed], httpx.Response]:
    return lambda s: getattr(s, c).post(path.format(job=s.job_id), json=body, headers=key())


def tus_post(length: str, **meta: str) -> Callable[[Seed], httpx.Response]:
    def send(s: Seed) -> httpx.Response:
        fields = {"item_id": "p", "kind": "photo", "job_id": s.job_id, "sha256": "a" * 64, **meta}
        encoded = tus_metadata(**{k: v for k, v in fields.items() if v is not None})
        return s.tech.post("/v1/uploads", headers={**TUS, "Upload-Length": length, "Upload-Metadata": encoded})
    return send


def tus_patch(offset: str, content_type: str = "application/offset+octet-stream",
              upload: str | None = None) -> Callable[[Seed], httpx.Response]:
    return lambda s: s.tech.patch(upload or s.upload, content=b"abc",
                                  headers={**TUS, "Upload-Offset": offset, "Content-Type": content_type})


CASES: dict[str, tuple[Callable[[Seed], httpx.Response], int, str]] = {
    "malformed_json": (raw_post("/v1/jobs/{job}/notes", b'{"item_id": "a", "text": '), 400, "invalid_json"),
    "deeply_nested_json": (raw_post("/v1/jobs/{job}/notes", b"[" * 100_000), 400, "invalid_json"),
    "deeply_nested_batch": (raw_post("/v1/batch", b"[" * 100_000), 400, "invalid_json"),
    "invalid_utf8": (raw_post("/v1/jobs/{job}/notes", b'{"item_id": "\xff"}'), 400, "invalid_json"),
    "empty_body": (raw_post("/v1/jobs/{job}/notes", b""), 400, "invalid_json"),
    "json_array_body": (raw_post("/v1/jobs/{job}/notes", b"[1, 2]"), 422, "validation_error"),
    "missing_field": (json_post("/v1/jobs/{job}/notes", {"item_id": "a", "at": "t"}), 422, "validation_error"),
    "wrong_type": (json_post("/v1/gps", {"item_id": "a", "lat": "north", "lon": 1, "at": "t"}), 422, "validation_error"),
    "lat_out_of_range": (json_post("/v1/gps", {"item_id": "a", "lat": 91, "lon": 1, "at": "t"}), 422, "validation_error"),
    "unknown_status": (json_post("/v1/jobs/{job}/status", item(status="done")), 422, "validation_error"),
    "negative_amount": (json_post("/v1/payments", {**item(amount_cents=-5, card_token="tok_visa"), "job_id": "x"}),
                        422, "validation_error"),
    "unknown_job": (json_post("/v1/jobs/job_nope/notes", item(text="x")), 404, "job_not_found"),
    "unknown_job_time_entry": (json_post("/v1/time-entries", item(job_id="job_nope", entry="clock_in")), 404,
                               "job_not_found"),
    "key_too_long": (raw_post("/v1/jobs/{job}/notes", b'{"item_id":"a","text":"x","at":"t"}',
                              **{"Idempotency-Key": "k" * 256}), 400, "idempotency_key_invalid"),
    "basic_auth": (lambda s: s.tech.get("/v1/schedule?date=2026-11-25", headers={"Authorization": "Basic abc"}),
                   401, "unauthorized"),
    "bad_date": (lambda s: s.tech.get("/v1/schedule", params={"date": "25/11/2026"}), 422, "validation_error"),
    "impossible_date": (lambda s: s.tech.get("/v1/schedule", params={"date": "2026-13-45"}), 422, "validation_error"),
    "missing_date": (lambda s: s.tech.get("/v1/schedule"), 422, "validation_error"),
    "unknown_media": (lambda s: s.tech.get("/v1/media/med_nope/content"), 404, "media_not_found"),
    "unknown_customer": (lambda s: s.tech.get("/v1/customers/cus_nope/history"), 404, "customer_not_found"),
    "unknown_route": (lambda s: s.tech.get("/v1/nothing-here"), 404, "not_found"),
    "wrong_method": (lambda s: s.tech.delete("/v1/schedule"), 405, "method_not_allowed"),
    "batch_malformed_json": (raw_post("/v1/batch", b"{not json"), 400, "invalid_json"),
    "lone_surrogate_in_note": (raw_post("/v1/jobs/{job}/notes", b'{"item_id": "a", "text": "\\ud83d", "at": "t"}'),
                               422, "validation_error"),
    "lone_surrogate_in_batch_key": (raw_post("/v1/batch", b'{"items": [{"key": "\\udc00", "path": "/v1/gps"}]}'),
                                    422, "validation_error"),
    "lone_surrogate_in_fault_route": (lambda s: s.admin.post(f"/admin/tenants/{s.tenant_id}/faults",
                                                             content=b'{"route": "\\ud83d", "action": "status"}',
                                                             headers={"Content-Type": "application/json"}),
                                      422, "validation_error"),
    "non_ascii_token": (lambda s: s.tech.get("/v1/schedule?date=2026-11-25",
                                             headers={"Authorization": "Bearer t\u00e9st".encode()}),
                        401, "unauthorized"),
    "json_body_too_large": (raw_post("/v1/batch", b" " * (MAX_JSON_BODY + 1)), 413, "payload_too_large"),
    "batch_items_not_list": (json_post("/v1/batch", {"items": "all"}), 422, "validation_error"),
    "job_for_unknown_customer": (json_post("/v1/jobs", item(customer_id="cus_nope", technician_id="u",
                                                            title="t", scheduled_for="2026-11-25T10:00"), "office"),
                                 404, "customer_not_found"),
    "admin_bad_role": (lambda s: s.admin.post(f"/admin/tenants/{s.tenant_id}/users", json={"role": "boss", "name": "x"}),
                       422, "validation_error"),
    "fault_retry_after_nan": (lambda s: s.admin.post(f"/admin/tenants/{s.tenant_id}/faults",
                                                     json={"action": "status", "retry_after": "nan"}),
                              422, "validation_error"),
    "bug_switch_not_bool": (lambda s: s.admin.put(f"/admin/tenants/{s.tenant_id}/bugs",
                                                  json={"email_per_retry": "yes please"}), 422, "validation_error"),
    "admin_unknown_tenant": (lambda s: s.admin.get("/admin/tenants/ten_nope/ledger"), 404, "tenant_not_found"),
    "tus_length_not_number": (tus_post("ten"), 400, "invalid_header"),
    "tus_negative_length": (tus_post("-1"), 400, "invalid_header"),
    "tus_missing_metadata": (tus_post("10", sha256=None), 400, "invalid_metadata"),
    "tus_bad_kind": (tus_post("10", kind="video"), 400, "invalid_metadata"),
    "tus_bad_sha256": (tus_post("10", sha256="xyz"), 400, "invalid_metadata"),
    "tus_unknown_job": (tus_post("10", job_id="job_nope"), 404, "job_not_found"),
    "tus_bad_base64": (lambda s: s.tech.post("/v1/uploads", headers={**TUS, "Upload-Length": "1",
                                                                     "Upload-Metadata": "item_id %%%"}),
                       400, "invalid_metadata"),
    "tus_negative_offset": (tus_patch("-3"), 400, "invalid_header"),
    "tus_offset_not_number": (tus_patch("zero"), 400, "invalid_header"),
    "tus_offset_ahead": (tus_patch("50"), 409, "offset_mismatch"),
    "tus_wrong_content_type": (tus_patch("0", "application/json"), 415, "unsupported_media_type"),
    "tus_unknown_upload": (tus_patch("0", upload="/v1/uploads/up_nope"), 404, "upload_not_found"),
}


def state(seed: Seed) -> tuple[dict[str, Any], Any]:
    return seed.ledger(), seed.tech.head(seed.upload, headers=TUS).headers["Upload-Offset"]


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_gets_4xx_json_error_and_stores_nothing(home: Seed, case: str) -> None:
    send, status, code = CASES[case]
    before = state(home)
    response = send(home)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and len(error["message"]) > 10
    assert state(home) == before


def request_head_read(server: InProcessServer, sock: socket.socket) -> bool:
    """The server has parsed the head this socket sent: its request is running, waiting for the body."""
    port = sock.getsockname()[1]
    return any(c.client and c.client[1] == port and c.cycle is not None for c in list(server.server_state.connections))


def test_body_cut_mid_send_applies_nothing_and_logs_no_traceback(server: InProcessServer, seed: Seed) -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(handler)
    try:
        host, port = seed.url.split("//")[1].split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(
                f"POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {seed.tech_token}\r\n"
                "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"items\": [".encode()
            )
            assert wait_for(lambda: request_head_read(server, sock))  # the route is reading the body: cut it now
        # uvicorn's request task ends after the app and after any traceback it would log about it
        assert wait_for(lambda: not server.server_state.tasks)
        assert seed.tech.get("/health").status_code == 200  # the server is still there
    finally:
        logger.removeHandler(handler)
    assert seed.ledger()["mutations"] == []
    assert [r.getMessage() for r in records if r.exc_info] == []
