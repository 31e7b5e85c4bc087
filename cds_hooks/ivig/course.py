"""The current IVIg course, from MedicationAdministrations only (docs/clinical-logic.md, outcome rows 3-4).

Administrations (completed or in progress; IV or SC) with no gap over `course_gap_days` between
consecutive ones form a course; the patient is on IVIg when the latest one is at most
`course_gap_days` before the assessment date. IVIg MedicationRequests start no course.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from cds_hooks.ivig.facts import Evidence
from cds_hooks.ivig.rules_model import Rules


@dataclass(frozen=True)
class Course:
    """A run of IVIg administrations, oldest first (every one dated)."""

    administrations: tuple[Evidence, ...]

    @property
    def first(self) -> Evidence:
        """Return the course's first dose."""
        return self.administrations[0]

    @property
    def start(self) -> date:
        """Return the date of the first dose."""
        day = self.first.date
        assert day is not None  # extraction keeps dated administrations only
        return day

    def doses_until(self, day: date) -> list[date]:
        """Return the dates of the course's administrations on or before `day`."""
        return [e.date for e in self.administrations if e.date is not None and e.date <= day]


def split_courses(administrations: Sequence[Evidence], as_of: date, gap_days: int) -> list[Course]:
    """Return the courses of dated administrations up to `as_of`, oldest first."""
    dated = sorted(
        (e for e in administrations if e.date is not None and e.date <= as_of),
        key=lambda e: (e.date, e.reference),
    )
    courses: list[list[Evidence]] = []
    for dose in dated:
        previous = courses[-1][-1].date if courses else None
        if previous is None or dose.date is None or (dose.date - previous).days > gap_days:
            courses.append([dose])
        else:
            courses[-1].append(dose)
    return [Course(tuple(c)) for c in courses]


def evaluate_current_course(administrations: Sequence[Evidence], as_of: date, rules: Rules) -> Course | None:
    """Return the current course (latest dose within `course_gap_days` of `as_of`, inclusive), if any."""
    gap = rules.thresholds.course_gap_days
    courses = split_courses(administrations, as_of, gap)
    if not courses:
        return None
    last = courses[-1].administrations[-1].date
    return courses[-1] if last is not None and (as_of - last).days <= gap else None
