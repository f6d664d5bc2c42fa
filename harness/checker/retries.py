"""Retry discipline: an item retried sooner than the server asked, or in a storm, is RETRY_STORM.

The contract's last row: retries are automatic, with backoff; no retry storm; Retry-After honoured.
Only answers in which the server says "try again later" (``TRY_LATER``) oblige the device to wait;
a dropped connection is the network's doing, and a 409 "in progress" is answered by the next poll.

Two rules, each about one item's attempts in time order:

- Retry-After: an attempt whose answer carried ``retry_after`` seconds (an optional attempt field)
  must not be followed by the next attempt of that item before ``ended_at + retry_after``.
- Storm: ``STORM_RUN`` try-later answers in a row, each followed by the next attempt within
  ``STORM_GAP_S``. A client with exponential backoff and full jitter (delay uniform in
  [0, base * 2**n]) does this with a probability of about 1e-5 at the reference client's 0.25 s
  base (0.4 * 0.2 * 0.1 * 0.05 * 0.025); a client with no backoff does it every time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from harness.checker.model import Attempt

TRY_LATER = frozenset({408, 429, 500, 502, 503, 504})
STORM_RUN = 5  # try-later answers in a row, each retried at once
STORM_GAP_S = 0.1  # "at once": the next attempt started within this of the answer
RETRY_AFTER_SLACK_S = 0.005  # device timestamps have millisecond precision


def retry_storm_findings(attempts: Iterable[Attempt]) -> list[str]:
    """What is wrong with one item's retry timing, one message per finding (none when it is fine)."""
    ordered = sorted(attempts, key=lambda attempt: (attempt.started_at, attempt.attempt))
    findings: list[str] = []
    run: list[float] = []  # gaps of the current run of try-later answers retried at once
    for told, retry in itertools.pairwise(ordered):
        if told.http_status not in TRY_LATER or told.ended_at is None:
            run = []
            continue
        gap = retry.started_at - told.ended_at
        if told.retry_after is not None and gap < told.retry_after - RETRY_AFTER_SLACK_S:
            findings.append(
                f"attempt {retry.attempt} came {max(gap, 0.0):.3f} s after an HTTP {told.http_status} that asked"
                f" for Retry-After {told.retry_after:g} s"
            )
        run = run + [gap] if gap < STORM_GAP_S else []
        if len(run) == STORM_RUN:
            findings.append(
                f"{STORM_RUN} try-again-later answers in a row (last HTTP {told.http_status}) were each retried"
                f" within {STORM_GAP_S * 1000:.0f} ms (longest wait {max(run) * 1000:.0f} ms): no backoff"
            )
    return findings
