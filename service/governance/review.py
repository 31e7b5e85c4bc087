"""Report figures for pre-activation review: silent (shadow-mode) assessments and repeat firing."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

from service.governance.records import CallRecord
from service.governance.tables import Table, build_table, ratio


def build_would_have_fired(calls: Sequence[CallRecord]) -> Table:
    """Return per outcome how many cards silent mode built and did not show."""
    counts = Counter(card.outcome or "unknown" for c in calls if c.silent for card in c.cards)
    silent_calls = sum(1 for c in calls if c.silent)
    rows = [(outcome, n) for outcome, n in sorted(counts.items())]
    title = f"Would have fired (silent mode, {silent_calls} calls)"
    return build_table("would_have_fired", title, ("outcome", "cards"), list(rows))


def report_label(pseudonym: str | None) -> str:
    """Return a short label of an audit pseudonym for the report (a second one-way step, 8 hex digits)."""
    if not pseudonym:
        return "-"
    return hashlib.sha256(("report:" + pseudonym).encode()).hexdigest()[:8]


def build_silent_assessments(calls: Sequence[CallRecord], limit: int = 200) -> Table:
    """Return the silent assessments for review: day, patient label, outcome and criterion statuses only."""
    silent = [c for c in calls if c.silent and c.in_scope]
    criteria = sorted({cid for c in silent for cid in c.criteria})
    rows = [
        (c.day.isoformat(), report_label(c.patient), c.outcome, *(c.criteria.get(k) for k in criteria))
        for c in silent[-limit:]
    ]
    title = f"Silent assessments for review (latest {min(limit, len(silent))} of {len(silent)})"
    return build_table("silent_assessments", title, ("day", "patient", "outcome", *criteria), rows)


def build_repeat_firing(calls: Sequence[CallRecord], window_hours: int) -> Table:
    """Return per outcome: cards, and cards for a patient who had a card within the window before."""
    window = timedelta(hours=window_hours)
    last_card: dict[str, CallRecord] = {}
    cards: Counter[str] = Counter()
    repeats: Counter[str] = Counter()
    for call in sorted(calls, key=lambda c: c.at):
        if not call.cards or call.patient is None:
            continue
        outcome = call.outcome or "unknown"
        cards[outcome] += len(call.cards)
        previous = last_card.get(call.patient)
        if previous is not None and call.at - previous.at <= window:
            repeats[outcome] += len(call.cards)
        last_card[call.patient] = call
    rows = [(o, cards[o], repeats[o], ratio(repeats[o], cards[o])) for o in sorted(cards)]
    title = f"Repeat firing: same patient within {window_hours} h"
    return build_table("repeat_firing", title, ("outcome", "cards", "repeat cards", "repeat share"), rows)
