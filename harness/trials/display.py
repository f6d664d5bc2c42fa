"""What `offline-harness trials` prints: one line per trial as it ends, the violations, a summary."""

from __future__ import annotations

from collections import Counter

from harness.trials.run import TrialsOutcome
from harness.trials.trial import TrialRecord

SHOWN_PER_TRIAL = 5  # violations printed per failing trial; results.json has them all


def print_trial(number: int, count: int, record: TrialRecord) -> None:
    result = record.result
    if number == 0:
        pace = record.pace
        measured = (f"batch {pace.batch_s_per_item * 1000:.2f} ms per action,"
                    f" uploads {1 / pace.upload_s_per_byte / 1e6:.2f} MB/s" if pace else "pace not measured")
        print(f"calibration (no kill): {record.items} items, {measured} · {result.verdict}", flush=True)
    else:
        point = record.kill_point
        if record.in_flight:  # --kill-in-flight: timed by evidence, from "syncing"
            anchor, when = "syncing", f"in flight: {record.in_flight}"
        else:
            anchor = "syncing" if point and point.phase == "batch" else "batch settled"
            when = f"{point.phase} phase" if point else ""
        where = (f"kill {record.kill_delay_s or 0:.3f} s after {anchor} ({when}) → {record.landed or '?'}"
                 if point else "kill")
        print(f"trial {number:>{len(str(count))}}/{count} seed {result.seed}: {where} · {record.items} items"
              f" · {result.verdict} · {result.duration_s:.1f} s", flush=True)
    if result.error:
        print(f"    error: {result.error}", flush=True)
    for violation in result.violations[:SHOWN_PER_TRIAL]:
        print(f"    {violation['kind']} {violation['item_id']}: {violation['message']}", flush=True)
        for line in violation.get("history", []):
            print(f"        {line}", flush=True)
    if len(result.violations) > SHOWN_PER_TRIAL:
        print(f"    ... and {len(result.violations) - SHOWN_PER_TRIAL} more (see results.json)", flush=True)
    if not result.passed and number > 0:
        print(f"    replay: --seed {result.seed} --count 1", flush=True)


def print_summary(outcome: TrialsOutcome, wall_s: float) -> None:
    landings = outcome.landings
    kinds = Counter(violation["kind"] for violation in outcome.violations)
    failed = sum(1 for record in outcome.trials if record.result.violations)
    print()
    print(f"trials run: {len(outcome.trials)}")
    print("kills landed: " + ", ".join(f"{name} {count}" for name, count in landings.items()))
    said = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))
    print(f"violations: {len(outcome.violations)}" + (f" ({said}) in {failed} trial(s)" if said else ""))
    if outcome.errors:
        print(f"errors (the harness could not run the trial): {len(outcome.errors)}")
    print(f"wall time: {wall_s:.1f} s")
    print("verdict: " + ("pass, exactly-once held after every kill" if outcome.passed else "FAIL"), flush=True)
