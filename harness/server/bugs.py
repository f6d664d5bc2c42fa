"""Seeded bugs of the reference server, off by default, switched per tenant.

Each models a real mistake; the harness must catch each one with the violation named here.
Switch them with ``PUT /admin/tenants/{tid}/bugs {"<name>": true}``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SeededBug:
    name: str
    mistake: str
    expected_violation: str


BUGS: dict[str, SeededBug] = {
    bug.name: bug
    for bug in (
        SeededBug(
            "ignore_idempotency_key",
            "the Idempotency-Key header and the item id are read but never checked: every request"
            " is applied, so a retry after a lost response applies the mutation again",
            "DUPLICATE (and SIDE_EFFECT_DUP for document sends and payments)",
        ),
        SeededBug(
            "commit_before_dedupe",
            "check-then-act without a lock: the key is looked up, the mutation is committed, and"
            " only then is the key recorded in a second transaction; a retry arriving while the"
            " first attempt is in flight (e.g. after a client timeout) passes the check and applies again",
            "DUPLICATE when a retry arrives while the first attempt is in flight: pair it with a"
            " `delay` fault on the route or on POST /v1/batch (the delay falls between the commit and"
            " the key record); sequential retries are still replayed",
        ),
        SeededBug(
            "accept_checksum_mismatch",
            "a server that verifies no checksum: neither a chunk's Upload-Checksum nor the whole"
            " file's sha256 of a tus upload is compared, so bytes corrupted on the way (a faulty link,"
            " middlebox or storage) become a photo/signature with the wrong bytes",
            "CORRUPT",
        ),
        SeededBug(
            "email_per_retry",
            "the email of a document send is sent outside the idempotent block, on every request,"
            " so a replayed send (same key or same item id) emails the customer again",
            "SIDE_EFFECT_DUP",
        ),
    )
}


def unknown_bugs(names: list[str]) -> list[str]:
    return [name for name in names if name not in BUGS]
