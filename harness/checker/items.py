"""The device's and the server's records joined per item, the join the checker's rules read."""

from __future__ import annotations

from collections import defaultdict

from harness.checker.model import Attempt, Charge, DeviceHistory, Email, Intent, Ledger, LedgerEntry
from harness.checker.verdict import ItemHistory
from harness.core.contract import KINDS


class Items:
    """Intents, attempts, ledger entries, emails and charges grouped by item.

    A ledger entry whose item id the device never made, but whose kind, job and content hash equal
    one of the device's intents, is counted for that intent: that is how a client that mints a new
    item id on each retry shows up (as a DUPLICATE of the item, not as an unrelated PHANTOM).
    Ledger entries of kinds no device queues (not in ``contract.KINDS``) are left out.
    """

    def __init__(self, history: DeviceHistory, ledger: Ledger) -> None:
        self.intents: dict[str, Intent] = {}
        for intent in sorted(history.intents, key=lambda intent: intent.accepted_at):
            self.intents.setdefault(intent.item_id, intent)
        self.attempts: dict[str, list[Attempt]] = defaultdict(list)
        for attempt in sorted(history.attempts, key=lambda attempt: (attempt.attempt, attempt.started_at)):
            self.attempts[attempt.item_id].append(attempt)
        by_content: dict[tuple[str, str | None, str], str] = {}
        for intent in self.intents.values():
            by_content.setdefault((intent.kind, intent.job_id, intent.content_hash), intent.item_id)
        self.entries: dict[str, list[LedgerEntry]] = defaultdict(list)
        self.aliases: dict[str, set[str]] = defaultdict(set)  # intent item id -> foreign item ids
        self.unmatched: dict[str, list[LedgerEntry]] = defaultdict(list)
        for entry in ledger.mutations:
            if entry.kind not in KINDS:
                continue  # not something a device queues (office data): none of the checker's business
            if entry.item_id in self.intents:
                self.entries[entry.item_id].append(entry)
                continue
            owner = by_content.get((entry.kind, entry.job_id, entry.content_hash))
            if owner is not None:
                self.entries[owner].append(entry)
                if entry.item_id is not None:
                    self.aliases[owner].add(entry.item_id)
            else:
                self.unmatched[entry.item_id or f"ledger-seq-{entry.seq}"].append(entry)
        self.owner = {alias: owner for owner, aliases in self.aliases.items() for alias in aliases}
        self.emails: dict[str, list[Email]] = defaultdict(list)
        for email in ledger.emails:
            self.emails[self._owner_of(email.item_id)].append(email)
        self.charges: dict[str, list[Charge]] = defaultdict(list)
        for charge in ledger.charges:
            self.charges[self._owner_of(charge.item_id)].append(charge)

    def _owner_of(self, item_id: str | None) -> str:
        if item_id is None:
            return "no-item-id"
        return self.owner.get(item_id, item_id)

    def history(self, item_id: str) -> ItemHistory:
        return ItemHistory(
            item_id=item_id,
            intent=self.intents.get(item_id),
            attempts=tuple(self.attempts.get(item_id, ())),
            entries=tuple(self.entries.get(item_id, ()) or self.unmatched.get(item_id, ())),
            emails=tuple(self.emails.get(item_id, ())),
            charges=tuple(self.charges.get(item_id, ())),
        )

    def side_effect_orphans(self) -> list[str]:
        """Item ids with an email or a charge but neither an intent nor a ledger entry."""
        known = set(self.intents) | set(self.unmatched)
        return sorted({item for item in (*self.emails, *self.charges) if item not in known})
