"""What a Record reads once per resource answers exactly as the lenient readers do, for any shape."""

from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.ivig.fhir_read import code_pairs, codings, first_code, has_code, parse_date, reference_of
from cds_hooks.ivig.fhir_read import resource_date as read_date
from cds_hooks.ivig.record import Record
from cds_hooks.ivig.rules_model import Code, Codes
from cds_hooks.ivig.window import in_window
from fixtures.fhir_builders import AS_OF, PATIENT, cc, local, observation

BINDING = Codes([Code("s", "a"), Code("s", "b")])
SHAPES = [
    None,
    "text",
    cc("s", "a"),
    cc("t", "a"),
    [cc("s", "b")],
    [cc("t", "x"), "junk", cc("s", "a")],
    {"coding": {"system": "s", "code": "a"}},
    {"coding": [{"system": "s"}, {"code": "a"}, {"system": 1, "code": "a"}]},
]


def record_of(*resources: dict[str, object]) -> Record:
    return Record(PATIENT, AS_OF, resources, {reference_of(r): r for r in resources})


@pytest.mark.parametrize("concept", SHAPES)
def test_code_pairs_are_the_codings(concept: object) -> None:
    assert code_pairs(concept) == [(c.system, c.code) for c in codings(concept)]
    assert first_code(concept) == (codings(concept)[0].code if codings(concept) else None)


@pytest.mark.parametrize("concept", SHAPES)
def test_record_code_lookups_match_has_code(concept: object) -> None:
    held = {"resourceType": "Observation", "id": "held", "status": "final", "code": concept}
    record = record_of(held)
    foreign = dict(held, id="foreign")  # not held by the record: read on the spot
    for resource in (held, foreign):
        assert record.has_code(resource, BINDING) is has_code(concept, BINDING)
    assert (record.coded("Observation", BINDING) == [held]) is has_code(concept, BINDING)


@pytest.mark.parametrize(
    "when",
    [
        None,
        "2026-05-01",
        "2026-05",
        "2026",
        "2026-02-30",
        "2026-W01-1",
        "20260501",
        "2026-05-01T23:59:59+14:00",
    ],
)
def test_record_dates_and_evidence_match_the_readers(when: str | None) -> None:
    obs = observation("o1", local("ck"), when=when or "")
    if when is None:
        del obs["effectiveDateTime"]
    record = record_of(obs)
    assert record.date_of(obs) == read_date(obs) == parse_date(when)
    assert record.reference(obs) == "Observation/o1"
    assert record.within(obs, 30) is in_window(read_date(obs), AS_OF, 30)
    evidence = record.evidence(obs, "v")
    assert (evidence.reference, evidence.date, evidence.value) == ("Observation/o1", read_date(obs), "v")
    assert record.evidence(obs, "v", date(2020, 1, 1)).date == date(2020, 1, 1)


def test_types_and_coded_resources_keep_record_order() -> None:
    first, second = (observation(i, local("mrc-grade")) for i in ("o1", "o2"))
    other = observation("o3", local("ck"))
    record = record_of(second, other, first)
    assert record.of_type("Observation") == (second, other, first)
    assert record.of_type("Condition") == ()
    assert record.coded("Observation", Codes([Code(*code_pairs(local("mrc-grade"))[0])])) == [second, first]
