"""The response review and the IVIg course (docs/clinical-logic.md): every branch."""

from __future__ import annotations

import pytest

from cds_hooks.ivig.course import evaluate_current_course, split_courses
from cds_hooks.ivig.response import evaluate_response
from tests.ivig.fact_builders import AS_OF, day, doses, empty_facts, grip, score
from tests.ivig.support import default_rules

RULES = default_rules()
INITIAL = doses(120, 90, 60, 30, 10)  # first dose 120 days ago, 5 administrations, last 10 days ago
START = 120


def before(n: int = 5):
    return day(START + n)


def after(days_ago: int = 5):
    return day(days_ago)


@pytest.mark.parametrize(
    ("name", "administrations", "sums", "grips", "status"),
    [
        ("MRC sum +2 (MCID)", INITIAL, [score(before(), 40), score(after(), 42)], [], "responding"),
        (
            "MRC sum +1, initial, timely",
            INITIAL,
            [score(before(), 40), score(after(), 41)],
            [],
            "not-responding",
        ),
        ("MRC sum -2: decline", INITIAL, [score(before(), 40), score(after(), 38)], [], "specialist-review"),
        ("grip +8 kPa one side", INITIAL, [], [grip(before(), 40), grip(after(), 48)], "responding"),
        (
            "grip -8 kPa, MRC +3: decline wins",
            INITIAL,
            [score(before(), 40), score(after(), 43)],
            [grip(before(), 40), grip(after(), 32)],
            "specialist-review",
        ),
        (
            "grip sides judged apart",
            INITIAL,
            [],
            [
                grip(before(), 40, "left"),
                grip(after(), 42, "left"),
                grip(before(), 30, "right"),
                grip(after(), 39, "right"),
            ],
            "responding",
        ),
        ("grip stable", INITIAL, [], [grip(before(), 40), grip(after(), 45)], "not-responding"),
        (
            "grip in kg (unit not judged) only",
            INITIAL,
            [],
            [grip(before(), None), grip(after(), None)],
            "response-unknown",
        ),
        (
            "stable MRC, grip in kg",
            INITIAL,
            [score(before(), 40), score(after(), 41)],
            [grip(before(), None), grip(after(), None)],
            "response-unknown",
        ),
        (
            "MRC of another maximum",
            INITIAL,
            [score(before(), 70, 100), score(after(), 71, 100)],
            [],
            "response-unknown",
        ),
        (
            "MRC without a maximum",
            INITIAL,
            [score(before(), 40, None), score(after(), 45, None)],
            [],
            "response-unknown",
        ),
        (
            "different instruments",
            INITIAL,
            [score(before(), 40, 60), score(after(), 45, 100)],
            [],
            "response-unknown",
        ),
        ("no baseline", INITIAL, [score(after(), 45)], [], "response-unknown"),
        (
            "baseline too old (> 180 d)",
            INITIAL,
            [score(day(START + 181), 40), score(after(), 41)],
            [],
            "response-unknown",
        ),
        (
            "baseline 180 d before",
            INITIAL,
            [score(day(START + 180), 40), score(after(), 41)],
            [],
            "not-responding",
        ),
        (
            "follow-up too early (< 84 d)",
            INITIAL,
            [score(before(), 40), score(day(START - 83), 41)],
            [],
            "response-unknown",
        ),
        (
            "follow-up at 84 d",
            doses(120, 90, 60, 36),
            [score(before(), 40), score(day(START - 84), 41)],
            [],
            "not-responding",
        ),
        (
            "too few administrations",
            doses(120, 10),
            [score(before(), 40), score(after(), 41)],
            [],
            "response-unknown",
        ),
        (
            "follow-up 43 days after the last dose",
            doses(120, 100, 80, 48),
            [score(before(), 40), score(after(5), 41)],
            [],
            "response-unknown",
        ),
        (
            "follow-up 42 days after the last dose",
            doses(120, 100, 80, 47),
            [score(before(), 40), score(after(5), 41)],
            [],
            "not-responding",
        ),
        ("nothing measured", INITIAL, [], [], "response-unknown"),
        (
            "maintenance, stable",
            doses(400, 330, 260, 190, 120, 50),
            [score(day(401), 40), score(after(), 41)],
            [],
            "maintenance-review",
        ),
        (
            "maintenance, improved",
            doses(400, 330, 260, 190, 120, 50),
            [score(day(401), 40), score(after(), 44)],
            [],
            "responding",
        ),
        (
            "maintenance, declined",
            doses(400, 330, 260, 190, 120, 50),
            [score(day(401), 40), score(after(), 37)],
            [],
            "specialist-review",
        ),
    ],
)
def test_response_review(name, administrations, sums, grips, status):
    course = evaluate_current_course(administrations, AS_OF, RULES)
    assert course is not None, name
    facts = empty_facts(sum_scores=tuple(sums), grips=tuple(grips))
    review = evaluate_response(facts, course, AS_OF, RULES)
    assert review.status == status, (name, review.reason, [m.verdict for m in review.measures])


@pytest.mark.parametrize(
    ("administrations", "courses", "current_first"),
    [
        (doses(300, 250, 200), 1, None),  # last 200 days ago: not on IVIg
        (doses(300, 210, 120, 30), 1, 300),
        (doses(300, 209, 100, 10), 3, 100),  # gaps of 91 and 109 days start new courses
        (doses(190, 100, 90), 1, 190),  # a gap of exactly 90 days keeps the course
        (doses(90), 1, 90),  # latest exactly 90 days ago: still on IVIg
        (doses(91), 1, None),
        ((), 0, None),
    ],
)
def test_courses(administrations, courses, current_first):
    found = split_courses(administrations, AS_OF, RULES.thresholds.course_gap_days)
    current = evaluate_current_course(administrations, AS_OF, RULES)
    first = None if current is None else (AS_OF - current.start).days
    assert (len(found), first) == (courses, current_first)
