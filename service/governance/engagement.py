"""Report figures about what clinicians did with the cards: feedback rates, override reasons, suggestions.

A card's engagement is its feedback: accepted when any feedback accepted it, else overridden when any
overrode it, else none. The override rate's denominator is the cards that offered a suggestion to act
on (`actionable`); cards with nothing to accept (information only) are reported apart, so they do not
dilute or inflate it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from service.governance.records import CallRecord, CardInfo, FeedbackRecord
from service.governance.tables import Table, build_table, ratio

NON_ADHERENCE_SYSTEM = "http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes"
# The six high-level categories of the CDS Hooks 3.0 ballot's non-adherence reasons, plus its separate
# "patient refuses" category.
CATEGORIES = {
    "cds-not-applicable": "CDS does not apply to the patient",
    "cds-suboptimal-context": "CDS delivered in a suboptimal context",
    "recipient-disagrees-evidence": "Disagrees with the evidence",
    "recipient-concerns-outcomes": "Concerned about outcomes",
    "does-not-align-preferences": "Does not align with patient preferences",
    "not-convenient-feasible": "Not convenient or feasible",
    "patient-refuses": "Patient refuses (no context given)",
}
# The service's own override reasons (cds_hooks/ivig/rules.toml, cards.override_reasons) by category.
LOCAL_CATEGORY = {
    "cb-documented-elsewhere": "cds-not-applicable",
    "specialist-recommendation": "recipient-disagrees-evidence",
    "time-limited-trial-planned": "recipient-concerns-outcomes",
    "patient-preference-informed": "does-not-align-preferences",
}
UNCATEGORISED = "uncategorised"


@dataclass(frozen=True)
class ShownCard:
    """A card that was shown (not silent), with the call it came from."""

    call: CallRecord
    card: CardInfo


def extract_shown_cards(calls: Sequence[CallRecord]) -> list[ShownCard]:
    """Return every card clinicians saw (silent calls excluded)."""
    return [ShownCard(c, card) for c in calls if not c.silent for card in c.cards]


def evaluate_engagement(card: str, feedback_by_card: dict[str, list[FeedbackRecord]]) -> str:
    """Return 'accepted', 'overridden' or 'none' for one card."""
    outcomes = {f.outcome for f in feedback_by_card.get(card, [])}
    if "accepted" in outcomes:
        return "accepted"
    return "overridden" if "overridden" in outcomes else "none"


def group_feedback(feedback: Sequence[FeedbackRecord]) -> dict[str, list[FeedbackRecord]]:
    """Return feedback grouped by card uuid."""
    grouped: dict[str, list[FeedbackRecord]] = {}
    for item in feedback:
        grouped.setdefault(item.card, []).append(item)
    return grouped


def build_feedback_rates(cards: Sequence[ShownCard], feedback: Sequence[FeedbackRecord]) -> Table:
    """Return per outcome and actionability: cards, accepted, overridden, no feedback and their rates."""
    grouped = group_feedback(feedback)
    counts: Counter[tuple[str, str, str]] = Counter()
    for shown in cards:
        kind = "actionable" if shown.card.actionable else "information only"
        outcome = shown.card.outcome or "unknown"
        counts[(outcome, kind, evaluate_engagement(shown.card.uuid, grouped))] += 1
    rows = []
    for outcome, kind in sorted({(o, k) for o, k, _ in counts}):
        acc, over, none = (counts[(outcome, kind, e)] for e in ("accepted", "overridden", "none"))
        total = acc + over + none
        rows.append(
            (outcome, kind, total, acc, over, none, ratio(acc, total), ratio(over, total), ratio(none, total))
        )
    columns = (
        "outcome", "cards", "shown", "accepted", "overridden", "no feedback",
        "accepted rate", "override rate", "no-feedback rate",
    )  # fmt: skip
    return build_table("feedback_rates", "Feedback per outcome", columns, rows)


def evaluate_override_rate(cards: Sequence[ShownCard], feedback: Sequence[FeedbackRecord]) -> float | None:
    """Return overridden / actionable cards shown (the non-neutral denominator), None without any."""
    grouped = group_feedback(feedback)
    actionable = [s for s in cards if s.card.actionable]
    overridden = sum(1 for s in actionable if evaluate_engagement(s.card.uuid, grouped) == "overridden")
    return ratio(overridden, len(actionable))


def extract_category(system: str | None, code: str | None) -> str:
    """Return the CDS Hooks 3.0 ballot category of an override reason code."""
    if code is None:
        return UNCATEGORISED
    if system == NON_ADHERENCE_SYSTEM and code in CATEGORIES:
        return code
    return LOCAL_CATEGORY.get(code, UNCATEGORISED)


def build_override_reasons(feedback: Sequence[FeedbackRecord]) -> tuple[Table, Table]:
    """Return override reasons by code, and grouped by category."""
    by_code: Counter[tuple[str, str]] = Counter()
    by_category: Counter[str] = Counter()
    for item in feedback:
        if item.outcome != "overridden":
            continue
        reasons = item.reasons or ((None, None, None),)
        for system, code, display in reasons:
            by_code[(code or "(none given)", display or "")] += 1
            by_category[extract_category(system, code)] += 1
    codes = build_table(
        "override_reasons",
        "Override reasons",
        ("code", "display", "count"),
        [(c, d, n) for (c, d), n in by_code.most_common()],
    )
    categories = build_table(
        "override_categories",
        "Override reasons by category (CDS Hooks 3.0 ballot)",
        ("category", "label", "count"),
        [(c, CATEGORIES.get(c, "not mapped"), n) for c, n in by_category.most_common()],
    )
    return codes, categories


def build_suggestions_taken(cards: Sequence[ShownCard], feedback: Sequence[FeedbackRecord]) -> Table:
    """Return how often each suggestion (by label) was offered and taken."""
    labels: dict[str, str] = {}
    offered: Counter[str] = Counter()
    for shown in cards:
        for sid, label in shown.card.suggestions.items():
            labels[sid] = label
            offered[label] += 1
    taken: Counter[str] = Counter()
    for item in feedback:
        for sid in item.accepted:
            taken[labels.get(sid, "(unknown suggestion)")] += 1
    names = sorted(set(offered) | set(taken))
    rows = [(name, offered[name], taken[name], ratio(taken[name], offered[name])) for name in names]
    return build_table(
        "suggestions_taken", "Suggestions offered and taken", ("suggestion", "offered", "taken", "rate"), rows
    )


def build_feedback_quality(calls: Sequence[CallRecord], feedback: Sequence[FeedbackRecord]) -> Table:
    """Return feedback counts: items, with a comment, and about card uuids the audit does not know."""
    known = {card.uuid for call in calls for card in call.cards}
    unknown = [f for f in feedback if f.card not in known]
    rows = [
        ("feedback items", len(feedback)),
        ("with a free-text comment", sum(1 for f in feedback if f.has_comment)),
        ("about a card the audit does not know (kept, flagged)", len(unknown)),
    ]
    return build_table("feedback_quality", "Feedback received", ("measure", "count"), list(rows))
