"""Crash trials: SIGKILL the device or the server at random points of a busy sync, restart it, and
check exactly-once after each trial (``offline-harness trials``).

    from harness.trials import TrialOptions, run_trials
    outcome = asyncio.run(run_trials(TrialOptions(kill="server", count=50, seed=7)))
"""

from __future__ import annotations

from harness.trials.run import TrialOptions, TrialsOutcome, run_trials

__all__ = ["TrialOptions", "TrialsOutcome", "run_trials"]
